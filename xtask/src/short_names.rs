//! Short names between an app's wasm and its JavaScript glue. wasm-bindgen names every import
//! after the binding plus a 16-digit hash (`__wbg_instanceof_MessageEvent_7f71d71db210f737`)
//! and every closure export after its full Rust type, and writes each name twice: in the wasm's
//! import and export sections and in the glue. The hashes do not compress, so the names cost
//! the widget about 5 KB brotli (3.0 in the wasm, 2.0 in the glue) of a budget of 100. Neither
//! wasm-bindgen nor wasm-opt shortens them (wasm-opt's `--minify-imports` only renames
//! Emscripten's `env` imports), so this step renames them after Trunk: imports and long export
//! names in the wasm (the other sections are copied byte for byte), and the same names in the
//! glue before esbuild minifies it. A name the glue does not use as the step expects fails
//! the build rather than a shopper's page.

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use wasm_encoder::{EntityType, ExportKind, ExportSection, ImportSection, Module, RawSection};
use wasmparser::{Parser, Payload};

/// Exports with names up to this long keep them (`memory`, `main`): short already, and
/// `memory` is a word the glue also uses otherwise.
const KEEP_EXPORTS_UP_TO: usize = 12;

/// The module name the glue's import object uses for wasm-bindgen's imports.
const SHORT_MODULE: &str = "a";

/// Renames in `wasm` and `js` (wasm-bindgen's readable `--target web` glue); returns both
/// rewritten.
pub fn shorten(wasm: &[u8], js: &str) -> Result<(Vec<u8>, String)> {
    let glue_module = glue_module(wasm)?;
    let glue_module = glue_module.as_str();
    let mut module = Module::new();
    let mut imports = HashMap::new();
    let mut exports = HashMap::new();
    let mut next = 0usize;
    let mut fresh = |names: &mut HashMap<String, String>, old: &str| {
        next += 1;
        names.entry(old.to_owned()).or_insert_with(|| format!("__p{next:x}")).clone()
    };
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.context("reading the wasm")?;
        match &payload {
            Payload::ImportSection(reader) => {
                let mut section = ImportSection::new();
                for import in reader.clone().into_imports() {
                    let import = import?;
                    let ty = EntityType::try_from(import.ty).context("an import's type")?;
                    if import.module == glue_module {
                        section.import(SHORT_MODULE, &fresh(&mut imports, import.name), ty);
                    } else {
                        section.import(import.module, import.name, ty);
                    }
                }
                module.section(&section);
            }
            Payload::ExportSection(reader) => {
                let mut section = ExportSection::new();
                for export in reader.clone() {
                    let export = export?;
                    let name = if export.name.len() > KEEP_EXPORTS_UP_TO {
                        fresh(&mut exports, export.name)
                    } else {
                        export.name.to_owned()
                    };
                    section.export(&name, ExportKind::from(export.kind), export.index);
                }
                module.section(&section);
            }
            Payload::Version { .. } | Payload::End(_) => {}
            // The code section's entries come one by one after its header: copy it whole once.
            Payload::CodeSectionEntry(_) => {}
            other => {
                let Some((id, range)) = other.as_section() else { continue };
                let data = &wasm[range.start as usize..range.end as usize];
                module.section(&RawSection { id, data });
            }
        }
    }
    Ok((module.finish(), rename_in_glue(js, glue_module, &imports, &exports)?))
}

/// The module wasm-bindgen's imports come from (`./widget_bg.js`: its glue, by the name it had
/// before Trunk hashed it).
fn glue_module(wasm: &[u8]) -> Result<String> {
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::ImportSection(reader) = payload? {
            for import in reader.into_imports() {
                let import = import?;
                if import.module.ends_with("_bg.js") {
                    return Ok(import.module.to_owned());
                }
            }
        }
    }
    bail!("the wasm imports nothing from wasm-bindgen's glue")
}

/// The same names in the glue: each import as the key of the import object (its only use),
/// each export where the glue calls it (`wasm.NAME`).
fn rename_in_glue(
    js: &str,
    glue_module: &str,
    imports: &HashMap<String, String>,
    exports: &HashMap<String, String>,
) -> Result<String> {
    let mut js = js.to_owned();
    for (old, new) in imports {
        if count_names(&js, old) != 1 {
            bail!("the glue uses {old} other than as an import: has wasm-bindgen changed its output?");
        }
        js = replace_names(&js, &format!("{old}:"), &format!("{new}:"), Some(1))?;
    }
    for (old, new) in exports {
        // Some exports the glue never calls (wasm-bindgen keeps them for other loaders).
        js = replace_names(&js, &format!("wasm.{old}"), &format!("wasm.{new}"), None)?;
    }
    let module = format!("\"{glue_module}\": import0");
    replace_names(&js, &module, &format!("\"{SHORT_MODULE}\": import0"), Some(1)).context("the import object")
}

/// How often `name` occurs as a whole name (not as the start of a longer one).
fn count_names(js: &str, name: &str) -> usize {
    js.match_indices(name).filter(|(at, _)| !continues_name(js, at + name.len())).count()
}

/// Whether a name goes on at byte `at`.
fn continues_name(js: &str, at: usize) -> bool {
    js[at..].chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// Replaces each occurrence of `old` not followed by more of a name; there must be `times`
/// of them, when given.
fn replace_names(js: &str, old: &str, new: &str, times: Option<usize>) -> Result<String> {
    let mut out = String::with_capacity(js.len());
    let mut replaced = 0;
    let mut rest = js;
    while let Some(at) = rest.find(old) {
        let end = at + old.len();
        out.push_str(&rest[..at]);
        if continues_name(rest, end) {
            out.push_str(old);
        } else {
            out.push_str(new);
            replaced += 1;
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    match times {
        Some(times) if times != replaced => {
            bail!("the glue has {replaced} of {old}, expected {times}: has wasm-bindgen changed its output?")
        }
        _ => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_replaced_whole_and_counted() {
        let js = "wasm.__wbindgen_malloc(1); wasm.__wbindgen_malloc_x(2); wasm.__wbindgen_malloc(3)";
        let out = replace_names(js, "wasm.__wbindgen_malloc", "wasm.__p1", Some(2)).unwrap();
        assert_eq!(out, "wasm.__p1(1); wasm.__wbindgen_malloc_x(2); wasm.__p1(3)");
        assert!(replace_names(js, "wasm.__wbindgen_malloc", "wasm.__p1", Some(1)).is_err());
    }

    #[test]
    fn a_wasm_without_the_glues_imports_is_refused() {
        let empty = Module::new().finish();
        assert!(shorten(&empty, "").is_err());
    }
}
