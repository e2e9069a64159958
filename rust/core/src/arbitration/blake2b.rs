//! BLAKE2b (RFC 7693), unkeyed, with a short output: what Python's
//! `hashlib.blake2b(..., digest_size=10)` gives for a decision id.
//!
//! A decision id hashes a few dozen bytes: one compression. This plain implementation
//! does exactly that, where a general-purpose one spends as much again on its buffers.

const IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

/// The message word order of each round (rounds 10 and 11 repeat 0 and 1).
const SIGMA: [[usize; 16]; 12] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
];

const BLOCK: usize = 128;

/// An unkeyed BLAKE2b of `N` output bytes (1 to 64), fed in pieces.
pub struct Blake2b<const N: usize> {
    state: [u64; 8],
    /// Bytes hashed so far, the buffered ones included.
    count: u128,
    buffer: [u8; BLOCK],
    buffered: usize,
}

impl<const N: usize> Blake2b<N> {
    pub fn new() -> Self {
        let mut state = IV;
        // The parameter block: digest length, no key, fanout and depth 1.
        state[0] ^= 0x0101_0000 ^ N as u64;
        Blake2b {
            state,
            count: 0,
            buffer: [0; BLOCK],
            buffered: 0,
        }
    }

    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            // The last block is compressed by `finalize`, flagged as last: a full buffer
            // waits until more data comes.
            if self.buffered == BLOCK {
                compress(&mut self.state, &self.buffer, self.count, false);
                self.buffered = 0;
            }
            let take = (BLOCK - self.buffered).min(data.len());
            self.buffer[self.buffered..self.buffered + take].copy_from_slice(&data[..take]);
            self.buffered += take;
            self.count += take as u128;
            data = &data[take..];
        }
    }

    pub fn finalize(mut self) -> [u8; N] {
        self.buffer[self.buffered..].fill(0);
        compress(&mut self.state, &self.buffer, self.count, true);
        let mut out = [0u8; N];
        for (chunk, word) in out.chunks_mut(8).zip(self.state) {
            chunk.copy_from_slice(&word.to_le_bytes()[..chunk.len()]);
        }
        out
    }
}

fn compress(state: &mut [u64; 8], block: &[u8; BLOCK], count: u128, last: bool) {
    let mut m = [0u64; 16];
    for (word, bytes) in m.iter_mut().zip(block.chunks_exact(8)) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(bytes);
        *word = u64::from_le_bytes(eight);
    }
    let mut v = [0u64; 16];
    v[..8].copy_from_slice(state);
    v[8..].copy_from_slice(&IV);
    v[12] ^= count as u64;
    v[13] ^= (count >> 64) as u64;
    if last {
        v[14] = !v[14];
    }
    // Rounds written out, so that every index is a constant: no bounds checks, no loads
    // of SIGMA, and the words stay in registers where they can.
    macro_rules! rounds {
        ($($r:literal)*) => { $( round(&mut v, &m, &SIGMA[$r]); )* };
    }
    rounds!(0 1 2 3 4 5 6 7 8 9 10 11);
    for (i, word) in state.iter_mut().enumerate() {
        *word ^= v[i] ^ v[i + 8];
    }
}

/// One round: the columns, then the diagonals.
#[inline(always)]
fn round(v: &mut [u64; 16], m: &[u64; 16], s: &[usize; 16]) {
    mix(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
    mix(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
    mix(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
    mix(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
    mix(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
    mix(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
    mix(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
    mix(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
}

/// The mixing function G.
#[inline(always)]
fn mix(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize, x: u64, y: u64) {
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

#[cfg(test)]
mod tests {
    use super::*;
    use blake2::digest::{Update, VariableOutput};
    use blake2::Blake2bVar;

    fn reference<const N: usize>(pieces: &[&[u8]]) -> [u8; N] {
        let mut hasher = Blake2bVar::new(N).expect("a valid size");
        for piece in pieces {
            hasher.update(piece);
        }
        let mut out = [0u8; N];
        hasher.finalize_variable(&mut out).expect("the size given");
        out
    }

    fn ours<const N: usize>(pieces: &[&[u8]]) -> [u8; N] {
        let mut hasher = Blake2b::<N>::new();
        for piece in pieces {
            hasher.update(piece);
        }
        hasher.finalize()
    }

    #[test]
    fn agrees_with_the_blake2_crate_across_block_boundaries() {
        let data: Vec<u8> = (0..700u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for len in (0..300).chain([383, 384, 385, 511, 512, 513, 700]) {
            let message = &data[..len];
            assert_eq!(ours::<10>(&[message]), reference::<10>(&[message]), "{len}");
            assert_eq!(ours::<64>(&[message]), reference::<64>(&[message]), "{len}");
            let (a, b) = message.split_at(len / 3);
            assert_eq!(
                ours::<10>(&[a, b, b"\x1f"]),
                reference::<10>(&[a, b, b"\x1f"])
            );
        }
    }

    #[test]
    fn known_answer() {
        // RFC 7693, appendix A: BLAKE2b-512("abc").
        let digest = ours::<64>(&[b"abc"]);
        assert_eq!(digest[..4], [0xba, 0x80, 0xa5, 0x3f]);
        assert_eq!(digest[60..], [0xd4, 0x00, 0x99, 0x23]);
    }
}
