//! The fast path of the HAR reader: a JSON pull parser made for HAR's shape, which fills the
//! same lenient model as the serde path (`de.rs`) without serde's per-value machinery.
//!
//! Reading a header-heavy HAR through serde_json spent most of its time in visitor calls,
//! `Cow` and `Option` wrappers and key matching around very small values (a header field is
//! four short strings); this parser scans strings eight bytes at a time and builds the model
//! directly, which made reading such files about three times faster (README "Benchmarks").
//!
//! It is a fast path, not a second reader: it gives up ([`Bail`]) at the first thing it does
//! not handle exactly as the serde path would, and the caller then reads the whole input
//! again with the serde path, from the start, with fresh state. So it only has to agree
//! with the serde path on the inputs it completes, and it gives up on:
//!
//! - anything that is not valid JSON, and every input serde_json rejects: syntax errors,
//!   nesting deeper than [`MAX_DEPTH`] (serde_json stops at 128), numbers out of `f64`
//!   range, escapes that do not decode (the serde path then reports the error, its place and
//!   the entries read before it, exactly as before);
//! - a document or `log` that is not an object, a second `log` or `entries`, `entries` that
//!   is not an array, an entry that is not an object, and `\u` escapes of surrogates in text
//!   it only skips (rare shapes whose handling lives in the serde path alone).
//!
//! Numbers and escaped strings are decoded by serde_json itself (on the token alone), so
//! their values are the serde path's to the bit. `tests.rs` checks that both paths give the
//! same result on every sample, on hostile variants and on random documents.

use std::borrow::Cow;

use super::de::{
    CreatorDe, Ctx, EntryDe, FieldProblem, Found, HeadersDe, Obj, RawText, Scalar, Seq, Text,
};
use super::{EntriesState, State};
use crate::model::{Exchange, Headers};

/// The fast path cannot read this input the way the serde path would; read it with that.
#[derive(Debug)]
pub(super) struct Bail;

type Fast<T> = Result<T, Bail>;

/// Deepest nesting read before handing the input to the serde path (serde_json's own limit
/// is 128, so everything it would reject for depth is handed over).
const MAX_DEPTH: usize = 100;

/// Reads `json` (the input's text after a byte order mark) into `state`, or bails.
pub(super) fn read(state: &mut State<'_, '_>, json: &str) -> Fast<()> {
    let mut parser = Parser { text: json, bytes: json.as_bytes(), pos: 0, depth: 0, first: false };
    parser.skip_whitespace();
    parser.open(b'{')?;
    let mut saw_log = false;
    while let Some(key) = parser.next_key()? {
        if key.text == "log" {
            if saw_log {
                return Err(Bail);
            }
            saw_log = true;
            read_log(&mut parser, state)?;
        } else {
            parser.skip_value()?;
        }
    }
    parser.skip_whitespace();
    if parser.pos == parser.bytes.len() { Ok(()) } else { Err(Bail) }
}

fn read_log(parser: &mut Parser<'_>, state: &mut State<'_, '_>) -> Fast<()> {
    parser.skip_whitespace();
    parser.open(b'{')?;
    state.saw_log = true;
    while let Some(key) = parser.next_key()? {
        match key.text.as_ref() {
            "version" => {
                let version = Scalar::fast_read(parser, state.ctx())?;
                state.check_version(&version);
            }
            "creator" => {
                let creator = <Obj<CreatorDe<'_>>>::fast_read(parser, state.ctx())?;
                state.set_creator(creator);
            }
            "entries" => {
                if state.entries != EntriesState::NotSeen {
                    return Err(Bail);
                }
                read_entries(parser, state)?;
            }
            _ => parser.skip_value()?,
        }
    }
    Ok(())
}

fn read_entries(parser: &mut Parser<'_>, state: &mut State<'_, '_>) -> Fast<()> {
    parser.skip_whitespace();
    parser.open(b'[')?;
    state.entries = EntriesState::Reading;
    let batching = state.context.batching;
    let region = parser.bytes.len().saturating_sub(parser.pos);
    let parts = state.context.threads.min(region / batching.min_har_part_bytes.max(1)).max(1);
    if parts == 1 {
        read_elements(parser, state, &mut Ahead::none())?;
    } else {
        std::thread::scope(|scope| {
            let mut ahead = Ahead::start(scope, parser, state, parts);
            let read = read_elements(parser, state, &mut ahead);
            ahead.cancel_all();
            read
        })?;
    }
    state.entries = EntriesState::Done;
    Ok(())
}

/// The elements of `entries`, from the parser's position (just inside the `[`) to its `]`,
/// taking over what `ahead` read of them where it read ahead from the right place.
fn read_elements<'a>(
    parser: &mut Parser<'a>,
    state: &mut State<'_, '_>,
    ahead: &mut Ahead<'_>,
) -> Fast<()> {
    let mut more = parser.next_element()?;
    while more {
        if state.n_unread_for_memory.is_some() {
            // Past the memory limit: only count the rest.
            ahead.cancel_all();
            parser.skip_value()?;
            state.take_entry(Obj::Wrong(Found::Null));
            more = parser.next_element()?;
            continue;
        }
        let start = parser.value_start()?;
        if let Some(part) = ahead.part_starting_at(start) {
            more = take_part(parser, state, part, ahead)?;
            continue;
        }
        if parser.peek_value()? != b'{' {
            return Err(Bail);
        }
        let entry = <Obj<EntryDe<'_>>>::fast_read(parser, state.ctx())?;
        let memory_before = state.memory_used;
        state.take_entry(entry);
        ahead.count_held(state.memory_used - memory_before);
        ahead.trim_to_limit(state.memory_used, state.context.memory_limit);
        more = parser.next_element()?;
    }
    Ok(())
}

// Reading entries on several threads.
//
// A JSON array cannot be split without reading it: where an element starts is only known
// once everything before it has been read. So the other threads guess. Thread k starts at
// the first place after k/n of the entries' bytes that looks like the start of an entry
// (`}`, `,`, `{` and a key an entry starts with: `looks_like_entry_start`) and reads entries
// from there, as the calling thread would, until it reaches the next thread's share. The
// calling thread reads from the first entry; when it reaches the place where a thread began,
// exactly, that thread guessed right (JSON read from the start of a value, at the same
// depth, reads the same whatever came before), and its entries are taken over in order.
// Otherwise its work is dropped and the calling thread reads on alone. A wrong guess, an
// entry a thread could not read, a thread that could not start: each costs only speed, and
// the result is the one-thread result, which the tests and the `har` fuzz harness check.
//
// Entries read ahead are converted with a placeholder index; one whose conversion reports
// anything (a skipped entry, a note on its timestamp) is converted again in its turn, so
// messages name the right entry and come in file order. The memory limit is applied in
// file order too, as entries are taken over; and what the threads hold together stays near
// it: reading ahead stops once all threads hold more than the limit, and from then on the
// calling thread drops the entries at the end of the parts that it can no longer reach
// before the limit (`Ahead::trim_to_limit`).

/// What a thread read ahead: its entries, in order, and where the calling thread goes on.
///
/// The entries come in chunks, each freed as soon as it is taken over: the exchanges of a
/// part are moved into the capture's list, and with one list per part the model would be
/// held twice over at the end.
struct Part {
    chunks: Vec<Vec<ReadAhead>>,
    /// What the entries in `chunks` take (the sum of their `memory`).
    memory: u64,
    end: PartEnd,
}

/// Entries per chunk of a part (about 0.8 MB).
const CHUNK_ENTRIES: usize = 1024;

struct ReadAhead {
    /// Where its element starts.
    at: usize,
    /// What its exchange takes (`exchange_memory`; 0 when not converted).
    memory: u64,
    /// The exchange (its index still to set) and where its entry's object starts, when it was
    /// converted with nothing to report; `None`: read and converted again in its turn.
    converted: Option<(Exchange, Option<usize>)>,
}

enum PartEnd {
    /// An element starts here that the part did not read (the next part's share, the memory
    /// limit, or one the fast path cannot read: the calling thread tries it itself).
    AtElement(usize),
    /// What follows the element that ends here is not read: the calling thread reads it.
    AfterElement(usize),
    /// The `]` of `entries` was read; the parser goes on from here at this depth.
    Closed { pos: usize, depth: usize },
}

/// A thread reading ahead.
struct Pending<'scope> {
    /// Where its share begins; it starts at the first entry-like place from here.
    from: usize,
    /// Where it started (sent as soon as it found the place; `usize::MAX`: nowhere).
    started: std::sync::mpsc::Receiver<usize>,
    start: Option<usize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::ScopedJoinHandle<'scope, Part>>,
    /// The part, once joined before its turn (`Ahead::trim_to_limit`).
    joined: Option<Part>,
}

impl Pending<'_> {
    /// The part read; `None` when the thread failed.
    fn take(&mut self) -> Option<Part> {
        match self.thread.take() {
            Some(thread) => thread.join().ok(),
            None => self.joined.take(),
        }
    }
}

/// The threads reading ahead of the calling thread, in file order.
struct Ahead<'scope> {
    pending: std::collections::VecDeque<Pending<'scope>>,
    /// The memory of the exchanges every thread holds (`exchange_memory`), so that reading
    /// ahead stops at the memory limit too, instead of each thread holding up to it.
    held: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// What the calling thread read and has not added to `held` yet (see [`HELD_BATCH`]).
    unflushed: u64,
}

/// Threads add what they hold to the shared count in batches of this many bytes: counting
/// every entry made the two threads fight over one cache line. The count is then short by
/// less than a batch per thread, which is what reading ahead may overshoot the limit by.
const HELD_BATCH: u64 = 1 << 20;

impl<'scope> Ahead<'scope> {
    fn none() -> Ahead<'scope> {
        Ahead {
            pending: std::collections::VecDeque::new(),
            held: std::sync::Arc::default(),
            unflushed: 0,
        }
    }

    /// Counts exchanges the calling thread read itself.
    fn count_held(&mut self, bytes: u64) {
        self.unflushed += bytes;
        if self.unflushed >= HELD_BATCH {
            self.held.fetch_add(
                std::mem::take(&mut self.unflushed),
                std::sync::atomic::Ordering::Relaxed,
            );
        }
    }

    /// Starts `parts - 1` threads, each on its share of what follows the parser's position.
    fn start<'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        parser: &Parser<'env>,
        state: &State<'env, 'env>,
        parts: usize,
    ) -> Ahead<'scope> {
        let region_start = parser.pos;
        let share = (parser.bytes.len() - region_start) / parts;
        let context = state.context;
        let buffer = state.buffer;
        let (text, depth) = (parser.text, parser.depth);
        let mut ahead = Ahead::none();
        for part in 1..parts {
            let from = region_start + part * share;
            let until = if part + 1 == parts { usize::MAX } else { from + share };
            let (sender, started) = std::sync::mpsc::sync_channel(1);
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let thread_stop = std::sync::Arc::clone(&stop);
            let held = std::sync::Arc::clone(&ahead.held);
            let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
                let start = entry_start_from(text.as_bytes(), from, until);
                // The receiver may be gone (the calling thread finished); nothing to tell then.
                let _ = sender.send(start.unwrap_or(usize::MAX));
                let Some(start) = start else {
                    return Part { chunks: Vec::new(), memory: 0, end: PartEnd::AtElement(from) };
                };
                let mut parser =
                    Parser { text, bytes: text.as_bytes(), pos: start, depth, first: false };
                let mut state = State::new(context, buffer);
                read_part(&mut parser, &mut state, until, &thread_stop, &held)
            });
            // A thread that cannot start only costs speed: the calling thread reads its share.
            if let Ok(thread) = spawned {
                ahead.pending.push_back(Pending {
                    from,
                    started,
                    start: None,
                    stop,
                    thread: Some(thread),
                    joined: None,
                });
            }
        }
        ahead
    }

    /// The part read ahead from `start`, when a thread began exactly there; drops the parts
    /// that began at places the calling thread has passed.
    fn part_starting_at(&mut self, start: usize) -> Option<Part> {
        loop {
            let next = self.pending.front_mut()?;
            if start < next.from {
                return None;
            }
            let began = match next.start {
                Some(began) => began,
                // Waiting costs little: finding the place is a scan of bytes for `{`, no
                // parsing, and it makes which parts are taken over independent of timing.
                None => *next.start.insert(next.started.recv().unwrap_or(usize::MAX)),
            };
            if began != usize::MAX && start < began {
                return None;
            }
            let mut pending = self.pending.pop_front()?;
            if start == began {
                // A part whose thread panicked (`None`) is read here instead, by the same code
                // on the same bytes, so the panic is not hidden by joining.
                return pending.take();
            }
            pending.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Once the threads together hold more than the memory limit: drops, from the end of each
    /// part, the entries the calling thread cannot reach before it stops at the limit, given
    /// that it holds `kept` and takes the parts over in order. Dropping cannot change the
    /// result (the calling thread reads a part's dropped entries itself when it gets there);
    /// what it would still take over stays, so no entry is read twice.
    fn trim_to_limit(&mut self, kept: u64, limit: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        if self.held.load(Relaxed) + self.unflushed <= limit {
            return;
        }
        // What comes before each part in the file takes at least this much.
        let mut before = kept;
        for pending in &mut self.pending {
            // Every thread stops at its next entry now that the limit is passed.
            pending.stop.store(true, Relaxed);
            if pending.joined.is_none() {
                pending.joined = pending.take();
            }
            let Some(part) = &mut pending.joined else { continue };
            // From the end, each entry the limit is reached before: popped once each, so
            // trimming after every entry the calling thread reads stays linear.
            while let Some(chunk) = part.chunks.last_mut() {
                let Some(last) = chunk.last() else {
                    part.chunks.pop();
                    continue;
                };
                if before + (part.memory - last.memory) <= limit {
                    break;
                }
                part.memory -= last.memory;
                let _ = self
                    .held
                    .fetch_update(Relaxed, Relaxed, |held| Some(held.saturating_sub(last.memory)));
                part.end = PartEnd::AtElement(last.at);
                chunk.pop();
            }
            before += part.memory;
        }
    }

    fn cancel_all(&mut self) {
        for pending in self.pending.drain(..) {
            pending.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// Reads entries from the parser's position (an element start) until the first element that
/// starts at or after `until`, the end of `entries`, the memory limit (what all threads
/// hold, `held`), `stop`, or anything the calling thread should read itself.
fn read_part(
    parser: &mut Parser<'_>,
    state: &mut State<'_, '_>,
    until: usize,
    stop: &std::sync::atomic::AtomicBool,
    held: &std::sync::atomic::AtomicU64,
) -> Part {
    use std::sync::atomic::Ordering::Relaxed;
    let mut chunks: Vec<Vec<ReadAhead>> = Vec::new();
    let mut part_memory = 0;
    // Added to `held` a batch at a time.
    let mut unflushed = 0;
    let end = loop {
        let at = parser.pos;
        if at >= until
            || held.load(Relaxed) + unflushed > state.context.memory_limit
            || stop.load(Relaxed)
            || parser.bytes.get(at) != Some(&b'{')
        {
            break PartEnd::AtElement(at);
        }
        let Ok(entry) = <Obj<EntryDe<'_>>>::fast_read(parser, state.ctx()) else {
            break PartEnd::AtElement(at);
        };
        let memory_before = state.memory_used;
        let converted = state.convert_ahead(entry);
        let memory = state.memory_used - memory_before;
        unflushed += memory;
        if unflushed >= HELD_BATCH {
            held.fetch_add(std::mem::take(&mut unflushed), Relaxed);
        }
        part_memory += memory;
        let entry = ReadAhead { at, memory, converted };
        match chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK_ENTRIES => chunk.push(entry),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK_ENTRIES);
                chunk.push(entry);
                chunks.push(chunk);
            }
        }
        let after = parser.pos;
        match parser.next_element() {
            Ok(true) if parser.value_start().is_ok() => {}
            Ok(false) => break PartEnd::Closed { pos: parser.pos, depth: parser.depth },
            _ => break PartEnd::AfterElement(after),
        }
    };
    // Counted in full before the part can be taken over or trimmed.
    held.fetch_add(unflushed, Relaxed);
    Part { chunks, memory: part_memory, end }
}

/// Takes over a part read ahead, in order, as if the calling thread had read it; returns
/// whether an element follows (as `next_element` does).
fn take_part(
    parser: &mut Parser<'_>,
    state: &mut State<'_, '_>,
    part: Part,
    ahead: &mut Ahead<'_>,
) -> Fast<bool> {
    #[cfg(test)]
    PARTS_TAKEN.with(|taken| taken.set(taken.get() + 1));
    state.exchanges.reserve(part.chunks.iter().map(Vec::len).sum());
    for entry in part.chunks.into_iter().flatten() {
        if state.n_unread_for_memory.is_some() {
            // The rest is counted, not kept: the calling thread skips it from here.
            parser.pos = entry.at;
            parser.first = false;
            return Ok(true);
        }
        match entry.converted {
            Some((mut exchange, entry_start)) => {
                let entry_idx = state.n_entries;
                state.n_entries += 1;
                exchange.index = entry_idx;
                exchange.origin.index = entry_idx;
                state.keep(exchange, entry_start);
            }
            None => {
                let mut again = Parser { pos: entry.at, first: false, ..*parser };
                let entry = <Obj<EntryDe<'_>>>::fast_read(&mut again, state.ctx())?;
                let memory_before = state.memory_used;
                state.take_entry(entry);
                ahead.count_held(state.memory_used - memory_before);
            }
        }
    }
    parser.first = false;
    match part.end {
        PartEnd::AtElement(at) => {
            parser.pos = at;
            Ok(true)
        }
        PartEnd::AfterElement(after) => {
            parser.pos = after;
            parser.next_element()
        }
        PartEnd::Closed { pos, depth } => {
            parser.pos = pos;
            parser.depth = depth;
            Ok(false)
        }
    }
}

#[cfg(test)]
thread_local! {
    /// How many parts read ahead the calling thread took over: tests check that reading on
    /// several threads happened, not only that it changed nothing.
    pub(super) static PARTS_TAKEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Keys an entry's object may start with: HAR's own, and producers' `_`-prefixed ones
/// (Chrome's `_initiator`, `_priority`, ...). Objects in other arrays start with `name`
/// (headers, cookies, query and form parameters), `type` (WebSocket messages), and so on.
const ENTRY_KEYS: [&[u8]; 10] = [
    b"startedDateTime",
    b"pageref",
    b"time",
    b"request",
    b"response",
    b"cache",
    b"timings",
    b"serverIPAddress",
    b"connection",
    b"comment",
];

/// The first place in `from..until` that looks like the start of an entry (a guess: see
/// above): a `{` after `}` and `,`, opening an object whose first key is one an entry starts
/// with. Linear: each byte is looked at a bounded number of times.
pub(super) fn entry_start_from(bytes: &[u8], from: usize, until: usize) -> Option<usize> {
    let end = until.min(bytes.len());
    let mut pos = from;
    while pos < end {
        let brace = pos + memchr::memchr(b'{', bytes.get(pos..end)?)?;
        pos = brace + 1;
        if looks_like_entry_start(bytes, brace) {
            return Some(brace);
        }
    }
    None
}

pub(super) fn looks_like_entry_start(bytes: &[u8], brace: usize) -> bool {
    // The last byte before `at` that is not whitespace.
    let before = |at: usize| bytes[..at].iter().rposition(|byte| !byte.is_ascii_whitespace());
    let Some(comma) = before(brace).filter(|&at| bytes[at] == b',') else { return false };
    if before(comma).is_none_or(|at| bytes[at] != b'}') {
        return false;
    }
    let after = &bytes[brace + 1..];
    let Some(quote) = after.iter().position(|byte| !byte.is_ascii_whitespace()) else {
        return false;
    };
    if after[quote] != b'"' {
        return false;
    }
    let key = &after[quote + 1..after.len().min(quote + 1 + 32)];
    let Some(key_len) = key.iter().position(|&byte| byte == b'"') else { return false };
    let key = &key[..key_len];
    key.starts_with(b"_") || ENTRY_KEYS.contains(&key)
}

/// A value of the lenient model read by the fast path (the serde path's `FromJson`).
pub(super) trait FastRead<'a>: Sized {
    fn fast_read(parser: &mut Parser<'a>, ctx: Ctx<'_>) -> Fast<Self>;
}

/// An object of the lenient model read field by field (the serde path's `MapFields`).
pub(super) trait FastFields<'a>: Default {
    fn fast_field(&mut self, key: &str, parser: &mut Parser<'a>, ctx: Ctx<'_>) -> Fast<()>;
}

impl<'a> FastRead<'a> for Text<'a> {
    #[inline(always)]
    fn fast_read(parser: &mut Parser<'a>, _ctx: Ctx<'_>) -> Fast<Self> {
        Ok(match parser.peek_value()? {
            b'"' => Text::Str(parser.string()?.text),
            _ => Text::Wrong(parser.other_value()?),
        })
    }
}

impl<'a> FastRead<'a> for Scalar<'a> {
    #[inline(always)]
    fn fast_read(parser: &mut Parser<'a>, _ctx: Ctx<'_>) -> Fast<Self> {
        Ok(match parser.peek_value()? {
            b'"' => Scalar::Text(parser.string()?.text),
            _ => match parser.other_value()? {
                Found::Number(number) => Scalar::Number(number),
                Found::Bool(value) => Scalar::Bool(value),
                Found::Null => Scalar::Null,
                Found::String | Found::Object | Found::Array => Scalar::Structure,
            },
        })
    }
}

impl<'a> FastRead<'a> for RawText<'a> {
    fn fast_read(parser: &mut Parser<'a>, _ctx: Ctx<'_>) -> Fast<Self> {
        let start = parser.value_start()?;
        if parser.bytes[start] == b'"' {
            parser.pos = start + 1;
            parser.skip_string_rest()?;
        } else {
            parser.skip_value()?;
        }
        Ok(RawText(&parser.text[start..parser.pos]))
    }
}

impl<'a, T: FastFields<'a>> FastRead<'a> for Obj<T> {
    fn fast_read(parser: &mut Parser<'a>, ctx: Ctx<'_>) -> Fast<Self> {
        if parser.peek_value()? != b'{' {
            return Ok(Obj::Wrong(parser.other_value()?));
        }
        parser.open(b'{')?;
        let mut value = T::default();
        let mut first_key = None;
        while let Some(key) = parser.next_key()? {
            if first_key.is_none()
                && let Cow::Borrowed(text) = &key.text
            {
                first_key = Some(text.as_ptr() as usize);
            }
            value.fast_field(&key.text, parser, ctx)?;
        }
        Ok(Obj::Present { value, first_key })
    }
}

impl<'a, T: FastRead<'a>> FastRead<'a> for Seq<T> {
    fn fast_read(parser: &mut Parser<'a>, ctx: Ctx<'_>) -> Fast<Self> {
        if parser.peek_value()? != b'[' {
            return Ok(Seq::Wrong(parser.other_value()?));
        }
        parser.open(b'[')?;
        let mut items = Vec::new();
        while parser.next_element()? {
            items.push(T::fast_read(parser, ctx)?);
        }
        Ok(Seq::Items(items))
    }
}

impl<'a> FastRead<'a> for HeadersDe {
    fn fast_read(parser: &mut Parser<'a>, ctx: Ctx<'_>) -> Fast<Self> {
        if parser.peek_value()? != b'[' {
            return Ok(HeadersDe::Wrong(parser.other_value()?));
        }
        parser.open(b'[')?;
        let mut fresh = None;
        let mut scratch = ctx.scratch.try_borrow_mut();
        let headers = match &mut scratch {
            Ok(scratch) => &mut **scratch,
            Err(_) => fresh.insert(Headers::default()),
        };
        let mut index = 0;
        while parser.next_element()? {
            if let Err(problem) = read_field(parser, headers, ctx) {
                let problem = match problem {
                    FieldOutcome::Bail => {
                        headers.take_compact();
                        return Err(Bail);
                    }
                    FieldOutcome::Problem(problem) => problem,
                };
                headers.take_compact();
                // The first bad field fails the list; the rest is only skipped over.
                while parser.next_element()? {
                    parser.skip_value()?;
                }
                return Ok(HeadersDe::BadField { index, problem });
            }
            index += 1;
        }
        Ok(HeadersDe::Fields(headers.take_compact()))
    }
}

enum FieldOutcome {
    Problem(FieldProblem),
    Bail,
}

impl From<Bail> for FieldOutcome {
    fn from(_: Bail) -> FieldOutcome {
        FieldOutcome::Bail
    }
}

/// One `{"name": ..., "value": ...}` of a header list onto `headers` (see `de::FieldSeed`).
#[inline(always)]
fn read_field(
    parser: &mut Parser<'_>,
    headers: &mut Headers,
    ctx: Ctx<'_>,
) -> Result<(), FieldOutcome> {
    if parser.peek_value()? != b'{' {
        return Err(FieldOutcome::Problem(FieldProblem::NotObject(parser.other_value()?)));
    }
    parser.open(b'{')?;
    let (mut name, mut value) = (None, None);
    while parser.next_member()? {
        // The two keys every field has, recognised without scanning them as strings.
        let key = if parser.eat(b"\"name\"") {
            HeaderKey::Name
        } else if parser.eat(b"\"value\"") {
            HeaderKey::Value
        } else {
            match parser.string()?.text.as_ref() {
                "name" => HeaderKey::Name,
                "value" => HeaderKey::Value,
                _ => HeaderKey::Other,
            }
        };
        parser.colon()?;
        match key {
            HeaderKey::Name => name = Some(Text::fast_read(parser, ctx)?),
            HeaderKey::Value => {
                value = Some(match parser.peek_value()? {
                    b'"' => parser.header_value()?,
                    _ => HeaderValue::Wrong(parser.other_value()?),
                })
            }
            HeaderKey::Other => parser.skip_value()?,
        }
    }
    let name = match name {
        None => return Ok(()),
        Some(Text::Wrong(found)) => return Err(FieldOutcome::Problem(FieldProblem::Name(found))),
        Some(Text::Str(name)) => name,
    };
    match value {
        None => headers.push_borrowing(ctx.buffer, &name, ""),
        Some(HeaderValue::Wrong(found)) => {
            return Err(FieldOutcome::Problem(FieldProblem::Value(found)));
        }
        Some(HeaderValue::Text(value)) => headers.push_borrowing(ctx.buffer, &name, &value),
        Some(HeaderValue::Escaped(escaped)) => {
            headers.push_borrowing_escaped(ctx.buffer, &name, escaped)
        }
    }
    Ok(())
}

/// A header field's value as [`Parser::header_value`] reads it.
enum HeaderValue<'a> {
    Text(Cow<'a, str>),
    /// The text between the quotes, with two-character escapes only (`\"`, `\\`, `\n`...).
    Escaped(&'a str),
    Wrong(Found),
}

/// Whether the text between a string's quotes (syntax already checked) has a `\u` escape.
fn has_unicode_escape(inner: &[u8]) -> bool {
    let mut pos = 0;
    while let Some(found) = memchr::memchr(b'\\', &inner[pos..]) {
        let escape = pos + found;
        if inner.get(escape + 1) == Some(&b'u') {
            return true;
        }
        pos = escape + 2;
        if pos >= inner.len() {
            return false;
        }
    }
    false
}

enum HeaderKey {
    Name,
    Value,
    Other,
}

/// A decoded JSON string (a key or a value).
pub(super) struct JsonString<'a> {
    /// Borrowed from the input when it has no escapes.
    pub(super) text: Cow<'a, str>,
}

/// A JSON pull parser over validated UTF-8 text: it checks the syntax of everything it
/// reads or skips, and bails where the serde path would fail or decide differently.
pub(super) struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Containers entered and not yet left.
    depth: usize,
    /// Whether the container just entered has had no member read yet.
    first: bool,
}

impl<'a> Parser<'a> {
    #[inline(always)]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The first byte of the next value (after whitespace), not consumed.
    #[inline(always)]
    fn peek_value(&mut self) -> Fast<u8> {
        self.skip_whitespace();
        self.bytes.get(self.pos).copied().ok_or(Bail)
    }

    /// Where the next value starts (after whitespace).
    fn value_start(&mut self) -> Fast<usize> {
        self.peek_value().map(|_| self.pos)
    }

    /// Consumes the `{` or `[` at the current position and enters it.
    #[inline(always)]
    fn open(&mut self, bracket: u8) -> Fast<()> {
        if self.bytes.get(self.pos) != Some(&bracket) || self.depth >= MAX_DEPTH {
            return Err(Bail);
        }
        self.pos += 1;
        self.depth += 1;
        // Marks "no member read yet" for `next_key` / `next_element`.
        self.first = true;
        Ok(())
    }

    /// The next key of the object being read (and its `:`), decoded, or `None` at its end.
    #[inline(always)]
    fn next_key(&mut self) -> Fast<Option<JsonString<'a>>> {
        if !self.next_member()? {
            return Ok(None);
        }
        let key = self.string()?;
        self.colon()?;
        Ok(Some(key))
    }

    /// Like `next_key` for objects being skipped: the key's syntax is checked, not decoded
    /// (as serde_json's `ignore_value` does).
    fn next_key_skipped(&mut self) -> Fast<bool> {
        if !self.next_member()? {
            return Ok(false);
        }
        self.pos += 1;
        self.skip_string_rest()?;
        self.colon()?;
        Ok(true)
    }

    /// Moves to the `"` of the object's next key, or past its `}` (then false).
    #[inline(always)]
    fn next_member(&mut self) -> Fast<bool> {
        self.skip_whitespace();
        let first = std::mem::replace(&mut self.first, false);
        match self.bytes.get(self.pos) {
            Some(b'}') => {
                self.pos += 1;
                self.depth -= 1;
                return Ok(false);
            }
            Some(b',') if !first => {
                self.pos += 1;
                self.skip_whitespace();
            }
            Some(b'"') if first => {}
            _ => return Err(Bail),
        }
        if self.bytes.get(self.pos) == Some(&b'"') { Ok(true) } else { Err(Bail) }
    }

    /// Consumes `text` if the input continues with it.
    #[inline(always)]
    fn eat(&mut self, text: &[u8]) -> bool {
        let found = self.bytes[self.pos..].starts_with(text);
        if found {
            self.pos += text.len();
        }
        found
    }

    #[inline(always)]
    fn colon(&mut self) -> Fast<()> {
        self.skip_whitespace();
        if self.bytes.get(self.pos) != Some(&b':') {
            return Err(Bail);
        }
        self.pos += 1;
        Ok(())
    }

    /// Whether the array being read has another element (positioned at it), or its end.
    #[inline(always)]
    fn next_element(&mut self) -> Fast<bool> {
        self.skip_whitespace();
        let first = std::mem::replace(&mut self.first, false);
        match self.bytes.get(self.pos) {
            Some(b']') => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            Some(b',') if !first => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) if first => Ok(true),
            _ => Err(Bail),
        }
    }

    /// The string starting at the current `"`, decoded: borrowed when it has no escapes,
    /// else unescaped by serde_json (bails where it would fail, e.g. a lone surrogate).
    #[inline(always)]
    fn string(&mut self) -> Fast<JsonString<'a>> {
        let open = self.pos;
        self.pos += 1;
        let escaped = self.skip_string_rest()?;
        let text = if escaped {
            let literal = &self.text[open..self.pos];
            Cow::Owned(serde_json::from_str::<String>(literal).map_err(|_| Bail)?)
        } else {
            Cow::Borrowed(&self.text[open + 1..self.pos - 1])
        };
        Ok(JsonString { text })
    }

    /// A header value: like [`Self::string`], but a string whose escapes are all of two
    /// characters (a challenge's `\"`) comes back still escaped, so that the header list can
    /// keep it as a span of the input (`Headers::push_borrowing_escaped`). `\u` escapes are
    /// decoded here, as serde_json decodes them (and fails on a lone surrogate).
    #[inline(always)]
    fn header_value(&mut self) -> Fast<HeaderValue<'a>> {
        let open = self.pos;
        self.pos += 1;
        let escaped = self.skip_string_rest()?;
        let inner = &self.text[open + 1..self.pos - 1];
        Ok(if !escaped {
            HeaderValue::Text(Cow::Borrowed(inner))
        } else if !has_unicode_escape(inner.as_bytes()) {
            HeaderValue::Escaped(inner)
        } else {
            let literal = &self.text[open..self.pos];
            HeaderValue::Text(Cow::Owned(
                serde_json::from_str::<String>(literal).map_err(|_| Bail)?,
            ))
        })
    }

    /// Moves past the closing `"` of the string whose opening `"` was just consumed,
    /// checking its syntax as serde_json does (no control characters, valid escapes; what
    /// `\u` escapes decode to is not checked). Returns whether it has escapes.
    #[inline(always)]
    fn skip_string_rest(&mut self) -> Fast<bool> {
        let mut escaped = false;
        loop {
            self.pos = find_quote_backslash_or_control(self.bytes, self.pos);
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    match self.bytes.get(self.pos + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 2
                        }
                        Some(b'u') => {
                            let hex = self.bytes.get(self.pos + 2..self.pos + 6).ok_or(Bail)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return Err(Bail);
                            }
                            self.pos += 6;
                        }
                        _ => return Err(Bail),
                    }
                }
                // A control character, or the end of the text inside a string.
                _ => return Err(Bail),
            }
        }
    }

    /// A value that is not a string where a string or object was wanted: what it was (its
    /// syntax checked, containers skipped as the serde path drains them).
    fn other_value(&mut self) -> Fast<Found> {
        Ok(match self.peek_value()? {
            b'"' => {
                self.string()?;
                Found::String
            }
            b'{' => {
                // serde drains a wrong-type object with `next_entry::<IgnoredAny, _>`, which
                // decodes its keys; the values are only skipped.
                self.open(b'{')?;
                while self.next_key()?.is_some() {
                    self.skip_value()?;
                }
                Found::Object
            }
            b'[' => {
                self.open(b'[')?;
                while self.next_element()? {
                    self.skip_value()?;
                }
                Found::Array
            }
            b't' => {
                self.literal(b"true")?;
                Found::Bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                Found::Bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                Found::Null
            }
            b'-' | b'0'..=b'9' => {
                let token = self.number_token()?;
                // serde_json's own number parsing, so the value is the serde path's exactly
                // (and "number out of range" bails as it fails there).
                Found::Number(serde_json::from_str::<f64>(token).map_err(|_| Bail)?)
            }
            _ => return Err(Bail),
        })
    }

    /// Skips the next value, checking its syntax as serde_json's `ignore_value` does.
    pub(super) fn skip_value(&mut self) -> Fast<()> {
        match self.peek_value()? {
            b'"' => {
                self.pos += 1;
                self.skip_string_rest().map(drop)
            }
            b'{' => {
                self.open(b'{')?;
                while self.next_key_skipped()? {
                    self.skip_value()?;
                }
                Ok(())
            }
            b'[' => {
                self.open(b'[')?;
                while self.next_element()? {
                    self.skip_value()?;
                }
                Ok(())
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number_token().map(drop),
            _ => Err(Bail),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Fast<()> {
        if !self.bytes[self.pos..].starts_with(word) {
            return Err(Bail);
        }
        self.pos += word.len();
        Ok(())
    }

    /// A number's text, its syntax checked (JSON's grammar, as serde_json checks it).
    fn number_token(&mut self) -> Fast<&'a str> {
        let start = self.pos;
        let digits = |parser: &mut Parser<'_>| {
            let from = parser.pos;
            while parser.bytes.get(parser.pos).is_some_and(u8::is_ascii_digit) {
                parser.pos += 1;
            }
            parser.pos - from
        };
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.bytes.get(self.pos) {
            Some(b'0') => {
                self.pos += 1;
                if self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    return Err(Bail);
                }
            }
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(Bail),
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(Bail);
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(Bail);
            }
        }
        Ok(&self.text[start..self.pos])
    }
}

/// Index of the first `"`, `\\` or control character (below U+0020) at or after `from`, or
/// the length of `bytes`.
///
/// The first 32 bytes are looked at eight at a time with the classic "has a zero byte" bit
/// trick (Mycroft), once per byte class; the lowest flagged byte is always a true match.
/// Most strings in a HAR (names, values, URLs) end there. Longer ones (bodies) are searched
/// with memchr's SIMD `memchr2` for the quote and backslash, and the stretch before the hit
/// is checked for control characters with a minimum that the compiler vectorises.
#[inline(always)]
fn find_quote_backslash_or_control(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    let mut pos = from;
    for _ in 0..4 {
        let Some(chunk) = bytes.get(pos..pos + 8) else {
            return find_slowly(bytes, pos);
        };
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let control = word.wrapping_sub(ONES * 0x20) & !word;
        let quote = word ^ (ONES * u64::from(b'"'));
        let quote = quote.wrapping_sub(ONES) & !quote;
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let backslash = backslash.wrapping_sub(ONES) & !backslash;
        let found = (control | quote | backslash) & HIGH;
        if found != 0 {
            return pos + (found.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    find_in_long_string(bytes, pos)
}

#[inline(never)]
fn find_in_long_string(bytes: &[u8], from: usize) -> usize {
    let rest = &bytes[from..];
    let end = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
    let before = &rest[..end];
    // Branch-free minimum over the stretch (vectorised); the exact place only when it fails.
    if before.iter().fold(u8::MAX, |least, &byte| least.min(byte)) >= 0x20 {
        return from + end;
    }
    from + before.iter().position(|&byte| byte < 0x20).unwrap_or(end)
}

#[cold]
fn find_slowly(bytes: &[u8], from: usize) -> usize {
    let rest = &bytes[from..];
    from + rest
        .iter()
        .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
        .unwrap_or(rest.len())
}
