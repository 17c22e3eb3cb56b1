//! The version a deployment was built from, read from its build log: npm
//! prints `> name@4.1.1 prepare` before each lifecycle script. Build logs can
//! be huge and full of terminal colours, so the log is streamed through a
//! bounded buffer and escape sequences are stripped before matching.

use std::io::{self, Read};

use super::version::Version;

/// Lines longer than this are skipped: a lifecycle line is short, and a
/// minified bundle echoed on one line must not be held in memory.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

const CHUNK_BYTES: usize = 64 * 1024;

/// Streams `reader` until a line `> <package>@<version> <script>` appears
/// and returns that version; `Ok(None)` when the log never names one.
/// Stops reading at the first match. Lines of other packages are ignored.
pub fn find_version(reader: impl Read, package: &str) -> Result<Option<Version>, io::Error> {
    LineSplitter::new(reader).find_map(|line| match_lifecycle_line(line, package))
}

/// Reads a stream line by line (`\n` or `\r` end a line) with a buffer that
/// never grows past [`MAX_LINE_BYTES`]; overlong lines are dropped.
struct LineSplitter<R> {
    reader: R,
    chunk: Box<[u8]>,
    line: Vec<u8>,
    overlong: bool,
}

impl<R: Read> LineSplitter<R> {
    fn new(reader: R) -> Self {
        LineSplitter {
            reader,
            chunk: vec![0; CHUNK_BYTES].into_boxed_slice(),
            line: Vec::new(),
            overlong: false,
        }
    }

    /// Calls `found` on each line that fitted in the buffer until it
    /// answers; reading stops there.
    fn find_map<T>(mut self, mut found: impl FnMut(&[u8]) -> Option<T>) -> io::Result<Option<T>> {
        loop {
            let read = match self.reader.read(&mut self.chunk) {
                Ok(0) => return Ok(self.end_line(&mut found)),
                Ok(read) => read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let mut start = 0;
            while let Some(at) = self.chunk[start..read]
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')
            {
                self.append(start, start + at);
                start += at + 1;
                if let Some(answer) = self.end_line(&mut found) {
                    return Ok(Some(answer));
                }
            }
            self.append(start, read);
        }
    }

    fn append(&mut self, from: usize, to: usize) {
        if self.overlong {
            return;
        }
        if self.line.len() + (to - from) > MAX_LINE_BYTES {
            self.overlong = true;
            self.line.clear();
        } else {
            self.line.extend_from_slice(&self.chunk[from..to]);
        }
    }

    /// Ends the current line, showing it to `found` unless it was too long.
    fn end_line<T>(&mut self, found: &mut impl FnMut(&[u8]) -> Option<T>) -> Option<T> {
        let answer = if self.overlong {
            None
        } else {
            found(&self.line)
        };
        self.line.clear();
        self.overlong = false;
        answer
    }
}

/// `> name@1.2.3 script` (leading spaces allowed, a build system's
/// indentation); `name` may be scoped (`@scope/name`).
fn match_lifecycle_line(raw: &[u8], package: &str) -> Option<Version> {
    // Most lines have no `>`: skip them before paying for decoding.
    if !raw.contains(&b'>') {
        return None;
    }
    let line = strip_ansi(&String::from_utf8_lossy(raw));
    let rest = line.trim_start().strip_prefix('>')?.trim_start();
    let mut words = rest.split_whitespace();
    let spec = words.next()?;
    words.next()?; // the script name: without it this is not a lifecycle line
    let (name, version) = spec.rsplit_once('@')?;
    if name != package {
        return None;
    }
    Version::parse(version).ok()
}

/// Removes terminal escape sequences (CSI, OSC and the other string
/// sequences, `ESC x` and `ESC ( B`-style escapes) and control characters
/// other than newline and tab, so a build log can be matched. The scanner is
/// [`crate::text`]'s, the one that also neutralises what rewind shows.
pub fn strip_ansi(text: &str) -> String {
    crate::text::strip_escapes(text)
}
