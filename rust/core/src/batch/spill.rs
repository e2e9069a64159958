//! An external sort of lines by a key: sorted runs spilled to disk, merged back in order.
//!
//! Where Python puts lines into a SQLite index and reads them back `ORDER BY id` (or
//! `customer, line`), the lines here go into runs sorted by (key, line number), each as
//! large as the memory budget allows, and a k-way merge reads them back in that order.
//! Keys compare as UTF-8 bytes, which is the order of code points, Python's and SQLite's.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Buffers for reading and writing runs.
const RUN_BUFFER: usize = 1 << 16;

/// One sorted line: its key, number and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub key: String,
    pub line: u64,
    pub text: String,
}

impl Entry {
    fn rank(&self) -> (&str, u64) {
        (&self.key, self.line)
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

/// Where a buffered entry's key and text are in the arena.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    start: usize,
    key: usize,
    text: usize,
    line: u64,
}

impl Slot {
    fn entry(&self, arena: &[u8]) -> Entry {
        let string = |from: usize, len: usize| {
            // Whole strings were pushed, so both slices are UTF-8.
            String::from_utf8_lossy(&arena[from..from + len]).into_owned()
        };
        Entry {
            key: string(self.start, self.key),
            line: self.line,
            text: string(self.start + self.key, self.text),
        }
    }
}

/// Takes lines in any order, keeps up to `budget` bytes of them in memory, and spills
/// each full buffer as a sorted run.
pub(crate) struct Sorter {
    folder: PathBuf,
    name: &'static str,
    budget: usize,
    arena: Vec<u8>,
    slots: Vec<Slot>,
    runs: Vec<PathBuf>,
}

impl Sorter {
    pub fn new(folder: &Path, name: &'static str, budget: usize) -> Self {
        Sorter {
            folder: folder.to_owned(),
            name,
            budget: budget.max(1),
            arena: Vec::new(),
            slots: Vec::new(),
            runs: Vec::new(),
        }
    }

    pub fn push(&mut self, key: &str, line: u64, text: &str) -> io::Result<()> {
        let size = key.len() + text.len() + std::mem::size_of::<Slot>();
        if !self.slots.is_empty() && self.used() + size > self.budget {
            self.spill()?;
        }
        let start = self.arena.len();
        self.arena.extend_from_slice(key.as_bytes());
        self.arena.extend_from_slice(text.as_bytes());
        self.slots.push(Slot {
            start,
            key: key.len(),
            text: text.len(),
            line,
        });
        Ok(())
    }

    fn used(&self) -> usize {
        self.arena.len() + self.slots.len() * std::mem::size_of::<Slot>()
    }

    /// Everything pushed, sorted: in memory if it fit in one buffer of `keep` bytes at
    /// most, otherwise in runs on disk.
    pub fn finish(mut self, keep: usize) -> io::Result<Sorted> {
        if self.runs.is_empty() && self.used() <= keep {
            self.sort();
            let (arena, slots) = (
                std::mem::take(&mut self.arena),
                std::mem::take(&mut self.slots),
            );
            return Ok(Sorted::Memory { arena, slots });
        }
        if !self.slots.is_empty() {
            self.spill()?;
        }
        Ok(Sorted::Runs(std::mem::take(&mut self.runs)))
    }

    fn sort(&mut self) {
        let arena = &self.arena;
        let key = |slot: &Slot| (&arena[slot.start..slot.start + slot.key], slot.line);
        self.slots.sort_unstable_by(|a, b| key(a).cmp(&key(b)));
    }

    fn spill(&mut self) -> io::Result<()> {
        self.sort();
        let path = self
            .folder
            .join(format!("{}-{:05}.run", self.name, self.runs.len()));
        let mut out = BufWriter::with_capacity(RUN_BUFFER, File::create(&path)?);
        for slot in &self.slots {
            let key = &self.arena[slot.start..slot.start + slot.key];
            let text = &self.arena[slot.start + slot.key..slot.start + slot.key + slot.text];
            write_entry(&mut out, key, slot.line, text)?;
        }
        out.flush()?;
        self.runs.push(path);
        self.arena.clear();
        self.slots.clear();
        Ok(())
    }
}

/// `u32` key length, `u32` text length, `u64` line number, key, text: little-endian.
fn write_entry(out: &mut impl Write, key: &[u8], line: u64, text: &[u8]) -> io::Result<()> {
    let length = |bytes: &[u8]| {
        u32::try_from(bytes.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a line of 4 GB or more"))
    };
    out.write_all(&length(key)?.to_le_bytes())?;
    out.write_all(&length(text)?.to_le_bytes())?;
    out.write_all(&line.to_le_bytes())?;
    out.write_all(key)?;
    out.write_all(text)
}

fn read_entry(input: &mut impl Read) -> io::Result<Option<Entry>> {
    let mut head = [0u8; 16];
    match input.read_exact(&mut head) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error),
    }
    let number = |range: std::ops::Range<usize>| {
        let mut bytes = [0u8; 8];
        bytes[..range.len()].copy_from_slice(&head[range]);
        u64::from_le_bytes(bytes)
    };
    let (key, text) = (number(0..4) as usize, number(4..8) as usize);
    let mut string = |len: usize| -> io::Result<String> {
        let mut bytes = vec![0; len];
        input.read_exact(&mut bytes)?;
        String::from_utf8(bytes).map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))
    };
    Ok(Some(Entry {
        key: string(key)?,
        line: number(8..16),
        text: string(text)?,
    }))
}

/// Lines sorted by (key, line): in memory, or in runs to merge.
pub(crate) enum Sorted {
    Memory { arena: Vec<u8>, slots: Vec<Slot> },
    Runs(Vec<PathBuf>),
}

impl Sorted {
    /// The lines in order; may be called again for another pass.
    pub fn merge(&self) -> io::Result<Merge<'_>> {
        match self {
            Sorted::Memory { arena, slots } => Ok(Merge::Memory {
                arena,
                slots: slots.iter(),
            }),
            Sorted::Runs(paths) => {
                let mut runs = Vec::with_capacity(paths.len());
                let mut heads = BinaryHeap::with_capacity(paths.len());
                for (index, path) in paths.iter().enumerate() {
                    let mut run = BufReader::with_capacity(RUN_BUFFER, File::open(path)?);
                    if let Some(entry) = read_entry(&mut run)? {
                        heads.push(Reverse((entry, index)));
                    }
                    runs.push(run);
                }
                Ok(Merge::Runs { runs, heads })
            }
        }
    }

    /// Remove the runs from disk.
    pub fn remove(self) {
        if let Sorted::Runs(paths) = self {
            for path in paths {
                // Only a tidy-up: the caller's temporary folder goes anyway.
                let _ = fs::remove_file(path);
            }
        }
    }
}

/// A k-way merge of sorted runs (or a walk over one in memory).
pub(crate) enum Merge<'a> {
    Memory {
        arena: &'a [u8],
        slots: std::slice::Iter<'a, Slot>,
    },
    Runs {
        runs: Vec<BufReader<File>>,
        heads: BinaryHeap<Reverse<(Entry, usize)>>,
    },
}

impl Merge<'_> {
    /// The next line in (key, line) order.
    pub fn next_entry(&mut self) -> io::Result<Option<Entry>> {
        match self {
            Merge::Memory { arena, slots } => Ok(slots.next().map(|slot| slot.entry(arena))),
            Merge::Runs { runs, heads } => {
                let Some(Reverse((entry, index))) = heads.pop() else {
                    return Ok(None);
                };
                if let Some(next) = read_entry(&mut runs[index])? {
                    heads.push(Reverse((next, index)));
                }
                Ok(Some(entry))
            }
        }
    }
}
