#![allow(clippy::disallowed_methods, clippy::print_stdout)]
struct P<'a> {
    b: &'a [u8],
    i: usize,
    strings: usize,
}
impl<'a> P<'a> {
    #[inline]
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\n' | b'\r' | b'\t') {
            self.i += 1;
        }
    }
    #[inline]
    fn string(&mut self) -> Option<&'a [u8]> {
        let start = self.i + 1;
        let b = self.b;
        let mut j = start;
        loop {
            let k = j + memchr::memchr2(b'"', b'\\', &b[j..])?;
            if b[k] == b'\\' {
                j = k + 2;
                continue;
            }
            let s = &b[start..k];
            if s.iter().fold(false, |acc, &c| acc | (c < 0x20)) {
                return None;
            }
            self.i = k + 1;
            self.strings += 1;
            return Some(s);
        }
    }
    fn value(&mut self, depth: u32) -> Option<()> {
        self.ws();
        match *self.b.get(self.i)? {
            b'"' => {
                self.string()?;
            }
            b'{' => {
                self.i += 1;
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    if self.b.get(self.i)? != &b'"' {
                        return None;
                    }
                    let _k = self.string()?;
                    self.ws();
                    if self.b.get(self.i)? != &b':' {
                        return None;
                    }
                    self.i += 1;
                    self.value(depth + 1)?;
                    self.ws();
                    match *self.b.get(self.i)? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.value(depth + 1)?;
                    self.ws();
                    match *self.b.get(self.i)? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => {
                self.i += 4;
            }
            b'f' => {
                self.i += 5;
            }
            b'n' => {
                self.i += 4;
            }
            _ => {
                let s = self.i;
                while self.i < self.b.len()
                    && matches!(self.b[self.i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.b[s..self.i]).ok()?;
                let _: f64 = t.parse().ok()?;
            }
        }
        Some(())
    }
}
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let mode = std::env::args().nth(2).unwrap_or_default();
    let bytes = std::fs::read(&path).unwrap();
    let cpu = || {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let mut times = Vec::new();
    for _ in 0..30 {
        let t0 = cpu();
        match mode.as_str() {
            "utf8" => {
                println!("{}", std::str::from_utf8(&bytes).is_ok());
            }
            "hand" => {
                let mut p = P { b: &bytes, i: 0, strings: 0 };
                println!("{:?} {}", p.value(0), p.strings);
            }
            _ => {
                let s = std::str::from_utf8(&bytes).unwrap();
                let _: serde::de::IgnoredAny = serde_json::from_str(s).unwrap();
                println!("ok");
            }
        }
        times.push(cpu() - t0);
    }
    times.sort();
    eprintln!(
        "{mode}: median {:.2} ms best {:.2} ms",
        times[15] as f64 / 1e6,
        times[0] as f64 / 1e6
    );
}
