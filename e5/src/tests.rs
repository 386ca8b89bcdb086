//! The model's checks; the tests that load the real model need `PARLEY_FAQ_MODEL` (`cargo
//! xtask test` fetches the model and sets it).

use super::*;

fn model_path() -> std::path::PathBuf {
    std::env::var_os("PARLEY_FAQ_MODEL")
        .map(Into::into)
        .expect("PARLEY_FAQ_MODEL names the model file (cargo xtask test fetches it)")
}

fn refused(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.bin");
    std::fs::write(&path, bytes).unwrap();
    match Model::load(&path) {
        Err(Error::Invalid { reason, .. }) => reason,
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("a broken model was accepted"),
    }
}

#[test]
fn a_missing_file_or_another_format_is_an_error() {
    let missing = Model::load(Path::new("/nonexistent/e5.bin")).err().unwrap();
    assert!(missing.to_string().contains("cannot read"), "{missing}");
    assert!(refused(b"").contains("truncated"));
    assert!(refused(b"GGUF\x03\0\0\0 not this engine's format").contains("wrong magic"));
}

#[test]
fn a_truncated_model_is_refused_with_a_reason() {
    let image = std::fs::read(model_path()).unwrap();
    for keep in [16, 4_096, image.len() / 3, image.len() / 2, image.len() - 1] {
        let reason = refused(&image[..keep]);
        assert!(reason.contains("truncated"), "cut at {keep}: {reason}");
    }
}

#[test]
fn paraphrases_and_translations_are_closer_than_other_topics() {
    let model = Model::load(&model_path()).unwrap();
    assert_eq!(model.dim(), 384);
    let passage = |t: &str| model.embed(t, Kind::Passage).unwrap();
    let delivery = passage("How long does delivery take?");
    let payment = passage("Which payment methods do you accept?");
    for asked in ["when will my stuff arrive", "物流要几天"] {
        let q = model.embed(asked, Kind::Query).unwrap();
        assert!(cosine(&q, &delivery) > cosine(&q, &payment), "{asked}");
    }
}

#[test]
fn long_text_nul_characters_and_any_script_embed() {
    let model = Model::load(&model_path()).unwrap();
    let long = "where is my parcel ".repeat(1_100);
    let capped = model.embed(&long, Kind::Query).unwrap();
    let start: String = long.chars().take(MAX_INPUT_CHARS).collect();
    let same = model.embed(&start, Kind::Query).unwrap();
    assert!(cosine(&capped, &same) > 0.999, "only the first characters count");
    for odd in ["", "\0\0", "a\0b", "\u{FFFD}\u{FFFD}", "مرحبا 👋🏽 \u{202E}"] {
        let v = model.embed(odd, Kind::Query).unwrap();
        assert_eq!(v.len(), 384, "{odd:?}");
    }
}
