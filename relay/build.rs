//! Rebuilds the relay when the files it embeds change (the widget that `cargo xtask build`
//! writes, the storefront and the loader).
fn main() {
    std::fs::create_dir_all("../target/web/widget").ok();
    std::fs::create_dir_all("../target/web/console").ok();
    for path in ["../target/web/widget", "../target/web/console", "../examples/storefront", "../widget/loader.js"] {
        println!("cargo:rerun-if-changed={path}");
    }
}
