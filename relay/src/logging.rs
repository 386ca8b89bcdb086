//! Logging to stderr, with every untrusted byte made harmless.
//!
//! Log lines carry what strangers typed (sign-in emails, store keys, origins, refused frames).
//! A newline in one would forge a log line of its own, and terminal escape codes would reach an
//! operator's terminal. Fields are logged with `?` (Debug, which escapes), and as a second lock
//! the writer escapes every control character but the newline that ends each event, so no call
//! site can forget.

use std::io::Write;

use tracing_subscriber::fmt::MakeWriter;

/// Logs to stderr; `RUST_LOG` refines (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    // No colours: their escape codes would be escaped too.
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(false).with_writer(EscapedStderr).init();
}

/// Makes writers that escape control characters before they reach stderr.
#[derive(Clone, Copy, Default)]
pub struct EscapedStderr;

impl<'a> MakeWriter<'a> for EscapedStderr {
    type Writer = Escaping<std::io::Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        Escaping(std::io::stderr())
    }
}

/// Escapes control characters in what it is given (the formatter writes one event per call),
/// keeping only a final newline.
pub struct Escaping<W>(pub W);

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(&escape(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// `buf` with every control character (and DEL) but a last newline written as `\n`, `\r`,
/// `\t` or `\x1b`-style escapes.
pub fn escape(buf: &[u8]) -> Vec<u8> {
    let (body, end) = match buf.strip_suffix(b"\n") {
        Some(body) => (body, &b"\n"[..]),
        None => (buf, &b""[..]),
    };
    let mut out = Vec::with_capacity(buf.len());
    for &b in body {
        match b {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.extend_from_slice(end);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_cannot_forge_lines_or_reach_the_terminal() {
        let line = b"INFO failed sign-in email=a\nINFO forged admin sign-in\x1b[2J\r\n";
        let escaped = String::from_utf8(escape(line)).unwrap();
        assert_eq!(escaped, "INFO failed sign-in email=a\\nINFO forged admin sign-in\\x1b[2J\\r\n");
        assert_eq!(escaped.lines().count(), 1);
        assert_eq!(escape("中文 ok".as_bytes()), "中文 ok".as_bytes(), "text is kept as it is");
    }
}
