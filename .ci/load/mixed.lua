-- Mixed traffic for `qiao serve` (wrk 4.x). How to run: see .ci/load/run.sh, which
-- prepares the data, the accounts and the files this script reads from $LOAD_DIR:
--   queries.txt   URL-encoded search queries (CSL dev queries: two keywords)
--   needs.txt / caps.txt   ids of public needs / capabilities (detail pages)
--   mine.txt      ids of needs the load may PATCH; token.txt  a staff API token
--   accounts.txt  e-mail addresses of login accounts (password $LOAD_PASSWORD)
-- Mix: 50% search, 20% detail, 10% suggestions (staff), 10% login, 10% writes
-- (half POST /api/v1/needs, half PATCH); LOAD_ONLY picks one kind. Any status outside 2xx is an error and
-- is listed by status at the end. Logins come from many simulated client
-- addresses (X-Forwarded-For; the server trusts 127.0.0.1 as a proxy), each
-- thread cycling through its own slice of accounts, so the per-account and
-- per-address login throttles (which count a login while it runs) never fire.
local dir = os.getenv("LOAD_DIR") or "."
local password = os.getenv("LOAD_PASSWORD") or "qiao-demo-2026"

local function lines(name)
  local t = {}
  for l in io.lines(dir .. "/" .. name) do if #l > 0 then t[#t + 1] = l end end
  return t
end

local threads, nthreads = {}, 0
function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
  table.insert(threads, thread)
end

local queries, needs, caps, mine, accounts, token, auth, login_seq, write_seq
local nthreads_total = tonumber(os.getenv("LOAD_THREADS") or "2")
function init(args)
  queries, needs, caps = lines("queries.txt"), lines("needs.txt"), lines("caps.txt")
  mine, accounts = lines("mine.txt"), lines("accounts.txt")
  token = lines("token.txt")[1]
  auth = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  math.randomseed(os.time() * 1000 + tid)
  login_seq, write_seq = 0, 0
  errors, codes = 0, ""
end

local function pick(t) return t[math.random(#t)] end

-- LOAD_ONLY=search|detail|suggest|login|write sends only that kind (to time one endpoint).
local only = ({ search = 1, detail = 51, suggest = 71, login = 81, write = 91 })[os.getenv("LOAD_ONLY") or ""]
function request()
  local r = only and (only + math.random(0, 9)) or math.random(100)
  if r <= 50 then
    return wrk.format("GET", "/api/v1/search?q=" .. pick(queries))
  elseif r <= 60 then
    return wrk.format("GET", "/api/v1/needs/" .. pick(needs))
  elseif r <= 70 then
    return wrk.format("GET", "/api/v1/capabilities/" .. pick(caps))
  elseif r <= 80 then
    return wrk.format("GET", "/api/v1/needs/" .. pick(needs) .. "/suggestions?limit=10", auth)
  elseif r <= 90 then
    -- accounts tid, tid+T, tid+2T, ... round robin: one login per account at a time
    login_seq = login_seq + 1
    local n = #accounts
    local per = math.floor(n / nthreads_total)
    local i = (tid - 1) * per + (login_seq % per) + 1
    local ip = string.format("10.%d.%d.%d", tid, math.random(0, 255), math.random(1, 254))
    return wrk.format("POST", "/api/v1/auth/login",
      { ["Content-Type"] = "application/json", ["X-Forwarded-For"] = ip },
      string.format('{"email":"%s","password":"%s"}', accounts[i], password))
  else
    write_seq = write_seq + 1
    if write_seq % 2 == 1 then
      return wrk.format("POST", "/api/v1/needs", auth, string.format(
        '{"org_name":"%s","title":"压测需求 %d-%d 高效换热器结构优化","description":"负载测试写入的需求：希望与高校合作优化换热器流道结构，降低压降并提高换热效率。","fields":["新材料"],"budget_min":10,"budget_max":50}',
        os.getenv("LOAD_ORG") or "琴岛海晟重工股份有限公司", tid, write_seq))
    else
      return wrk.format("PATCH", "/api/v1/needs/" .. pick(mine), auth, string.format(
        '{"description":"负载测试更新 %d-%d：希望与高校合作完成工艺验证与中试放大，明确关键指标。"}', tid, write_seq))
    end
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    errors = errors + 1
    if #codes < 200 then codes = codes .. status .. " " end
  end
end

function done(summary, latency, requests)
  local total, seen = 0, ""
  for _, t in ipairs(threads) do
    total = total + t:get("errors")
    seen = seen .. t:get("codes")
  end
  io.write(string.format("requests %d  errors(non-2xx) %d  socket errors %d/%d/%d/%d\n",
    summary.requests, total, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout))
  if total > 0 then io.write("statuses: " .. seen .. "\n") end
  io.write(string.format("rps %.1f  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
