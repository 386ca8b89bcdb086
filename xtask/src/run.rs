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

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}
