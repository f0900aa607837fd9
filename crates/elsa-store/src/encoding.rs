//! How run segments and workflow states are stored: JSON, zstd-compressed when that pays.
//!
//! A value is written as its JSON text, compressed with zstd once it is longer than
//! [`COMPRESS_FROM`] bytes (a 10-step run's journal shrinks about tenfold: its records repeat
//! the same ids and names). Readers tell the two forms apart by zstd's frame magic, which JSON
//! text never starts with, so rows a migration converted (plain JSON, written by SQL) and rows
//! the server wrote read the same way.

use crate::{Result, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::cell::RefCell;

/// The first bytes of every zstd frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// Below this, compression saves too little to pay for itself.
const COMPRESS_FROM: usize = 256;
/// zstd's fastest level: the writer is on the commit path, and higher levels gain little on
/// documents of a few kilobytes.
const LEVEL: i32 = 1;

thread_local! {
    // A compression context holds ~1 MB of tables; one per thread, reused, instead of one per
    // value.
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
}

/// The stored form of `value`.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(value).map_err(StoreError::Corrupt)?;
    if json.len() < COMPRESS_FROM {
        return Ok(json);
    }
    COMPRESSOR.with_borrow_mut(|slot| {
        let compressor = match slot {
            Some(c) => c,
            None => slot.insert(zstd::bulk::Compressor::new(LEVEL).map_err(io_error)?),
        };
        compressor.compress(&json).map_err(io_error)
    })
}

/// A value from its stored form (either form, see the module's documentation).
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    if bytes.starts_with(&ZSTD_MAGIC) {
        let json = zstd::stream::decode_all(bytes).map_err(io_error)?;
        serde_json::from_slice(&json).map_err(StoreError::Corrupt)
    } else {
        serde_json::from_slice(bytes).map_err(StoreError::Corrupt)
    }
}

fn io_error(e: std::io::Error) -> StoreError {
    StoreError::Corrupt(serde::de::Error::custom(format!("zstd: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn small_values_stay_json_and_large_ones_are_compressed() {
        let small = json!({"a": 1});
        let stored = encode(&small).unwrap();
        assert_eq!(stored, br#"{"a":1}"#);
        assert_eq!(decode::<Value>(&stored).unwrap(), small);

        let large: Vec<Value> = (0..50)
            .map(|i| json!({"workflowInstanceId": "0123456789abcdef", "sequence": i}))
            .collect();
        let stored = encode(&large).unwrap();
        assert!(stored.starts_with(&ZSTD_MAGIC));
        assert!(stored.len() * 5 < serde_json::to_vec(&large).unwrap().len());
        assert_eq!(decode::<Vec<Value>>(&stored).unwrap(), large);
    }

    #[test]
    fn damaged_data_is_an_error_not_a_panic() {
        let mut stored = encode(&vec!["x".repeat(300); 3]).unwrap();
        stored.truncate(12);
        assert!(matches!(
            decode::<Vec<String>>(&stored),
            Err(StoreError::Corrupt(_))
        ));
        assert!(decode::<Value>(b"not json").is_err());
    }
}
