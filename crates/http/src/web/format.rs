//! Numbers, money, dates and ranges as people write them, in the page's
//! language. The template filters:
//!
//! | filter | Chinese | English |
//! |---|---|---|
//! | `{{ 300.0 \| num }}` | `300` | `300` |
//! | `{{ 20000 \| num }}` | `20000` | `20,000` |
//! | `{{ 3500000 \| wan }}` (万元) | `350 亿元` | `CNY 35 bn` |
//! | `{{ 50 \| wan_range(120) }}` | `50–120 万元` | `CNY 0.5–1.2 m` |
//! | `{{ "2026-11-29" \| date }}` | `2026年11月29日` | `29 Nov 2026` |
//! | `{{ 2 \| range(3) }}` | `2–3` | `2–3` |
//!
//! Chinese figures carry no thousands separator: the statistical bulletins
//! of the National Bureau of Statistics and the city's own work reports
//! write `20000次` and `1260亿元` (GB/T 15835-2011 allows but does not
//! require a separator), and move large sums into 万元 or 亿元 instead.
//! English groups thousands with commas. At most two decimals are shown,
//! without trailing zeros.

use super::i18n::Lang;
use chrono::{DateTime, FixedOffset, NaiveDate};
use minijinja::State;
use minijinja::value::Value;

/// 1 亿元 in 万元.
const YI_IN_WAN: f64 = 10_000.0;

/// `x` with at most two decimals, trailing zeros trimmed; thousands grouped in English.
pub fn number(x: f64, lang: Lang) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let text = format!("{:.2}", (x * 100.0).round() / 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) if rest.chars().any(|c| matches!(c, '1'..='9')) => ("-", rest),
        Some(rest) => ("", rest),
        None => ("", text),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let int = match lang {
        Lang::Zh => int.to_string(),
        Lang::En => group_thousands(int),
    };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

fn group_thousands(int: &str) -> String {
    let mut out = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The scale a sum in 万元 is shown in: the divisor and the unit after the figure.
fn money_scale(wan: f64, lang: Lang) -> (f64, &'static str) {
    let abs = wan.abs();
    match lang {
        Lang::Zh if abs >= YI_IN_WAN => (YI_IN_WAN, " 亿元"),
        Lang::Zh => (1.0, " 万元"),
        // In yuan: billions, millions, or the plain figure.
        Lang::En if abs * 10_000.0 >= 1e9 => (1e5, " bn"),
        Lang::En if abs * 10_000.0 >= 1e6 => (100.0, " m"),
        Lang::En => (1e-4, ""),
    }
}

/// A sum given in 万元: `350 亿元`, `120 万元`; `CNY 35 bn`, `CNY 1.2 m`, `CNY 160,000`.
pub fn money(wan: f64, lang: Lang) -> String {
    let (divisor, unit) = money_scale(wan, lang);
    let figure = number(wan / divisor, lang);
    match lang {
        Lang::Zh => format!("{figure}{unit}"),
        Lang::En => format!("CNY {figure}{unit}"),
    }
}

/// A budget from `min` to `max` 万元 in the larger bound's unit; one bound
/// alone reads "up to" or "from"; none is negotiable.
pub fn money_range(min: Option<f64>, max: Option<f64>, lang: Lang) -> String {
    match (min, max) {
        (Some(a), Some(b)) if a != b => {
            let (divisor, unit) = money_scale(a.abs().max(b.abs()), lang);
            let span = format!(
                "{}–{}",
                number(a / divisor, lang),
                number(b / divisor, lang)
            );
            match lang {
                Lang::Zh => format!("{span}{unit}"),
                Lang::En => format!("CNY {span}{unit}"),
            }
        }
        (Some(a), Some(_)) => money(a, lang),
        (None, Some(b)) => lang.format("money.up_to", &[("amount", &money(b, lang))]),
        (Some(a), None) => lang.format("money.from", &[("amount", &money(a, lang))]),
        (None, None) => lang.text("money.negotiable").to_string(),
    }
}

/// `2026年11月29日` or `29 Nov 2026`.
pub fn date_text(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Zh => d.format("%Y年%-m月%-d日").to_string(),
        Lang::En => d.format("%-d %b %Y").to_string(),
    }
}

/// The calendar day of a date (`2026-11-29`) or an instant (RFC 3339, taken in China's UTC+8).
fn parse_day(text: &str) -> Option<NaiveDate> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        let china = FixedOffset::east_opt(8 * 3600)?;
        return Some(t.with_timezone(&china).date_naive());
    }
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

/// `2–3` from a minimum and a target; the target alone without a minimum (or an equal one).
pub fn span(min: Option<f64>, max: f64, lang: Lang) -> String {
    match min {
        Some(min) if min != max => format!("{}–{}", number(min, lang), number(max, lang)),
        _ => number(max, lang),
    }
}

fn float(v: &Value) -> Option<f64> {
    if v.is_undefined() || v.is_none() {
        return None;
    }
    f64::try_from(v.clone()).ok()
}

/// Filter `num`: `{{ 300.0 | num }}` → `300`.
pub fn num_filter(state: &State, value: Value) -> String {
    float(&value).map_or_else(String::new, |x| number(x, Lang::of_state(state)))
}

/// Filter `wan`: a sum in 万元, `{{ 3500000 | wan }}` → `350 亿元`.
pub fn wan_filter(state: &State, value: Value) -> String {
    float(&value).map_or_else(String::new, |x| money(x, Lang::of_state(state)))
}

/// Filter `wan_range`: `{{ min | wan_range(max) }}` → `50–120 万元`, or 面议 when neither is known.
pub fn wan_range_filter(state: &State, min: Value, max: Value) -> String {
    money_range(float(&min), float(&max), Lang::of_state(state))
}

/// Filter `date`: `{{ "2026-11-29" | date }}` → `2026年11月29日`; what does not parse is shown as given.
pub fn date_filter(state: &State, value: Value) -> String {
    if value.is_undefined() || value.is_none() {
        return String::new();
    }
    let text = value.to_string();
    parse_day(&text).map_or(text, |d| date_text(d, Lang::of_state(state)))
}

/// Filter `range`: `{{ min | range(target) }}` → `2–3`, or `300` when there is no minimum.
pub fn range_filter(state: &State, min: Value, max: Value) -> String {
    let lang = Lang::of_state(state);
    match float(&max) {
        Some(max) => span(float(&min), max, lang),
        None => float(&min).map_or_else(String::new, |x| number(x, lang)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Lang::{En, Zh};

    #[test]
    fn numbers_drop_needless_decimals() {
        assert_eq!(number(300.0, Zh), "300");
        assert_eq!(number(2.5, Zh), "2.5");
        assert_eq!(number(2.499, Zh), "2.5");
        assert_eq!(number(0.333_333, En), "0.33");
        assert_eq!(number(-0.001, Zh), "0");
        assert_eq!(number(-1234.5, En), "-1,234.5");
        assert_eq!(number(f64::NAN, En), "");
    }

    #[test]
    fn thousands_are_grouped_in_english_only() {
        assert_eq!(number(20000.0, Zh), "20000");
        assert_eq!(number(20000.0, En), "20,000");
        assert_eq!(number(3_500_000.0, En), "3,500,000");
        assert_eq!(number(999.0, En), "999");
        assert_eq!(number(100_000.0, En), "100,000");
    }

    #[test]
    fn money_moves_to_yi_from_ten_thousand_wan() {
        assert_eq!(money(3_500_000.0, Zh), "350 亿元");
        assert_eq!(money(126_000.0, Zh), "12.6 亿元");
        assert_eq!(money(10_000.0, Zh), "1 亿元");
        assert_eq!(money(9_999.0, Zh), "9999 万元");
        assert_eq!(money(120.0, Zh), "120 万元");
        assert_eq!(money(0.5, Zh), "0.5 万元");
    }

    #[test]
    fn money_in_english_reads_in_yuan() {
        assert_eq!(money(3_500_000.0, En), "CNY 35 bn");
        assert_eq!(money(120.0, En), "CNY 1.2 m");
        assert_eq!(money(16.0, En), "CNY 160,000");
        assert_eq!(money(100.0, En), "CNY 1 m");
    }

    #[test]
    fn budgets_are_ranges_in_one_unit() {
        assert_eq!(money_range(Some(50.0), Some(120.0), Zh), "50–120 万元");
        assert_eq!(money_range(Some(5_000.0), Some(20_000.0), Zh), "0.5–2 亿元");
        assert_eq!(money_range(Some(50.0), Some(120.0), En), "CNY 0.5–1.2 m");
        assert_eq!(
            money_range(Some(10.0), Some(50.0), En),
            "CNY 100,000–500,000"
        );
        assert_eq!(money_range(Some(80.0), Some(80.0), Zh), "80 万元");
        assert_eq!(money_range(None, Some(120.0), Zh), "不超过 120 万元");
        assert_eq!(money_range(Some(50.0), None, En), "from CNY 500,000");
        assert_eq!(money_range(None, None, Zh), "面议");
        assert_eq!(money_range(None, None, En), "Negotiable");
    }

    #[test]
    fn dates_as_written() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(date_text(d, Zh), "2026年11月29日");
        assert_eq!(date_text(d, En), "29 Nov 2026");
        assert_eq!(parse_day("2026-03-05"), NaiveDate::from_ymd_opt(2026, 3, 5));
        // 20:00 UTC is the next morning in China.
        assert_eq!(
            parse_day("2026-11-28T20:00:00Z"),
            NaiveDate::from_ymd_opt(2026, 11, 29)
        );
        assert_eq!(parse_day("soon"), None);
    }

    #[test]
    fn ranges_of_plan_targets() {
        assert_eq!(span(Some(2.0), 3.0, Zh), "2–3");
        assert_eq!(span(None, 300.0, Zh), "300");
        assert_eq!(span(Some(30.0), 30.0, En), "30");
    }

    #[test]
    fn filters_read_the_templates_language() {
        let mut env = minijinja::Environment::new();
        env.add_filter("num", num_filter);
        env.add_filter("wan", wan_filter);
        env.add_filter("wan_range", wan_range_filter);
        env.add_filter("date", date_filter);
        env.add_filter("range", range_filter);
        let source = "{{ 300.0|num }} 项 · {{ 2.0|range(3.0) }} 场 · {{ none|range(300.0) }} · \
                      {{ 3500000.0|wan }} · {{ 50|wan_range(120) }} · {{ none|wan_range(none) }} · \
                      {{ '2026-11-29'|date }} · {{ 20000|num }} · [{{ none|num }}]";
        let render = |lang: &str| {
            env.render_str(source, minijinja::context! { lang })
                .unwrap()
        };
        assert_eq!(
            render("zh"),
            "300 项 · 2–3 场 · 300 · 350 亿元 · 50–120 万元 · 面议 · 2026年11月29日 · 20000 · []"
        );
        assert_eq!(
            render("en"),
            "300 项 · 2–3 场 · 300 · CNY 35 bn · CNY 0.5–1.2 m · Negotiable · 29 Nov 2026 · 20,000 · []"
        );
    }
}
