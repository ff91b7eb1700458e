//! `check()`: runs every case of a blessed file in `test_data/` and compares the output with
//! the one written in the file. `UPDATE_EXPECT=1 cargo test -p pb-rules` rewrites the files
//! with the current outputs (then review the diff).
//!
//! File format: a free preamble, then cases of the form
//!
//! ```text
//! === <header: who compiles, free text>
//! <input, one or more lines>
//! ---
//! <expected output>
//! ```

use std::fmt::Write;
use std::path::PathBuf;

pub(crate) struct Case {
    pub(crate) header: String,
    pub(crate) input: String,
    pub(crate) expected: String,
}

pub(crate) fn data_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("test_data")
        .join(relative)
}

/// The preamble and the cases of a blessed file.
pub(crate) fn read_cases(relative: &str) -> (String, Vec<Case>) {
    let text = std::fs::read_to_string(data_path(relative)).unwrap();
    let mut preamble = String::new();
    let mut cases: Vec<Case> = Vec::new();
    let mut in_expected = false;
    for line in text.lines() {
        if let Some(header) = line.strip_prefix("=== ") {
            cases.push(Case {
                header: header.to_string(),
                input: String::new(),
                expected: String::new(),
            });
            in_expected = false;
            continue;
        }
        let Some(case) = cases.last_mut() else {
            preamble.push_str(line);
            preamble.push('\n');
            continue;
        };
        if line == "---" && !in_expected {
            in_expected = true;
            continue;
        }
        let target = if in_expected {
            &mut case.expected
        } else {
            &mut case.input
        };
        if !target.is_empty() {
            target.push('\n');
        }
        target.push_str(line);
    }
    for case in &mut cases {
        case.expected = case.expected.trim_end().to_string();
    }
    (preamble, cases)
}

/// Runs `run(header, input)` for each case of the file and compares with the blessed output.
pub(crate) fn check(relative: &str, run: impl Fn(&str, &str) -> String) {
    let (preamble, cases) = read_cases(relative);
    let mut rewritten = preamble;
    let mut mismatches = Vec::new();
    for case in &cases {
        let actual = run(&case.header, &case.input).trim_end().to_string();
        if actual != case.expected {
            mismatches.push(format!(
                "=== {}\n{}\n--- expected\n{}\n--- actual\n{}\n",
                case.header, case.input, case.expected, actual
            ));
        }
        let _ = write!(
            rewritten,
            "=== {}\n{}\n---\n{}\n\n",
            case.header, case.input, actual
        );
    }
    if mismatches.is_empty() {
        return;
    }
    if std::env::var("UPDATE_EXPECT").is_ok_and(|value| value == "1") {
        std::fs::write(data_path(relative), rewritten.trim_end().to_string() + "\n").unwrap();
        return;
    }
    panic!(
        "{} of {} cases in test_data/{relative} differ (UPDATE_EXPECT=1 to bless):\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}
