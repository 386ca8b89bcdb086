//! Running child processes with their command line echoed and their failure made an error.

use std::process::Command;

use anyhow::{bail, Context, Result};

/// Runs a command to completion; a non-zero exit is an error naming the command.
pub fn run(command: &mut Command) -> Result<()> {
    eprintln!("xtask: $ {}", describe(command));
    let status = command.status().with_context(|| format!("starting {}", describe(command)))?;
    if !status.success() {
        bail!("{} failed with {status}", describe(command));
    }
    Ok(())
}

/// Runs a command and returns its standard output.
pub fn output_of(command: &mut Command) -> Result<String> {
    let output = command.output().with_context(|| format!("starting {}", describe(command)))?;
    if !output.status.success() {
        bail!("{} failed: {}", describe(command), String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// What a `cargo test` run added up to.
pub struct TestTotals {
    /// Tests that passed, over every test binary.
    pub passed: u64,
    /// Tests that failed.
    pub failed: u64,
    /// Whether cargo itself exited successfully (a build error fails with no test counted).
    pub success: bool,
}

/// Runs `cargo test`, echoing its output, and adds up the `test result:` lines.
pub fn run_tests(command: &mut Command) -> Result<TestTotals> {
    use std::io::{BufRead, BufReader, Write};
    eprintln!("xtask: $ {}", describe(command));
    let mut child = command.stdout(std::process::Stdio::piped()).spawn().context("starting cargo test")?;
    let mut totals = TestTotals { passed: 0, failed: 0, success: false };
    let stdout = child.stdout.take().context("cargo test's output")?;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        let _ = std::io::stdout().flush();
        if let Some(rest) = line.strip_prefix("test result: ") {
            totals.passed += count_before(rest, " passed");
            totals.failed += count_before(rest, " failed");
        }
    }
    totals.success = child.wait()?.success();
    Ok(totals)
}

/// The number just before `label` in `ok. 5 passed; 0 failed; …`.
fn count_before(text: &str, label: &str) -> u64 {
    text.split(';')
        .find_map(|part| {
            part.trim()
                .trim_start_matches("ok. ")
                .trim_start_matches("FAILED. ")
                .strip_suffix(label)?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}
