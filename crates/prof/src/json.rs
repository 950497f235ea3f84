//! Stable JSON for scripts (`--stats-json`): every document is an object whose first key is
//! `schema_version`, followed by the body's keys in a fixed order, so the same run gives
//! byte-identical files and scripts can refuse a layout they do not know.
//!
//! Key order is the body's: a struct's fields in declaration order, a `BTreeMap`'s keys
//! sorted. (Don't put a `HashMap` in a body: its order changes between runs.) Bump the
//! schema version whenever a key is renamed, removed or changes meaning; adding a key does
//! not need a bump, as readers ignore keys they do not know.
//!
//! ```
//! use atlas_prof::json::{from_json, to_json};
//!
//! #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! struct Stats {
//!     instructions: u64,
//!     cycles: u64,
//! }
//!
//! let stats = Stats { instructions: 10, cycles: 25 };
//! let text = to_json(3, &stats).unwrap();
//! assert_eq!(text, "{\n  \"schema_version\": 3,\n  \"instructions\": 10,\n  \"cycles\": 25\n}\n");
//! assert_eq!(from_json::<Stats>(&text, 3).unwrap(), stats);
//! ```

use serde::de::DeserializeOwned;
use serde::Serialize;

/// The key every document starts with.
pub const SCHEMA_VERSION_KEY: &str = "schema_version";

/// Why a document could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// The body could not be serialized: it is not a struct or map (so it has no keys to put
    /// beside `schema_version`), or it has a map with non-string keys.
    #[error("cannot write the JSON document: {0}")]
    Serialize(serde_json::Error),
    /// The text is not JSON, or not the shape the reader expects.
    #[error("cannot read the JSON document: {0}")]
    Parse(serde_json::Error),
    /// The document is not an object with an unsigned integer `schema_version`.
    #[error("the JSON document has no integer \"schema_version\" key")]
    MissingSchemaVersion,
    /// The document has another schema version than the reader understands.
    #[error("the JSON document has schema_version {found}; this reader understands {expected}")]
    SchemaVersion {
        /// Version in the document.
        found: u64,
        /// Version the reader asked for.
        expected: u32,
    },
}

/// A body with the version in front of its keys.
#[derive(Serialize)]
struct Versioned<'a, T: ?Sized> {
    schema_version: u32,
    #[serde(flatten)]
    body: &'a T,
}

/// Renders `body` as a pretty-printed JSON object (two-space indent, trailing newline) whose
/// first key is `schema_version`, then the body's own keys in order. The body must serialize
/// as a struct or a map, and must not have its own `schema_version` key.
pub fn to_json<T: Serialize + ?Sized>(schema_version: u32, body: &T) -> Result<String, JsonError> {
    let document = Versioned {
        schema_version,
        body,
    };
    let mut text = serde_json::to_string_pretty(&document).map_err(JsonError::Serialize)?;
    text.push('\n');
    Ok(text)
}

/// Parses a document written by [`to_json`], refusing it unless its `schema_version` is
/// `expected`. The `schema_version` key itself is not passed to `T`, so `T` may deny
/// unknown fields.
pub fn from_json<T: DeserializeOwned>(text: &str, expected: u32) -> Result<T, JsonError> {
    let mut value: serde_json::Value = serde_json::from_str(text).map_err(JsonError::Parse)?;
    let object = value
        .as_object_mut()
        .ok_or(JsonError::MissingSchemaVersion)?;
    let found = object
        .remove(SCHEMA_VERSION_KEY)
        .and_then(|v| v.as_u64())
        .ok_or(JsonError::MissingSchemaVersion)?;
    if found != u64::from(expected) {
        return Err(JsonError::SchemaVersion { found, expected });
    }
    T::deserialize(value).map_err(JsonError::Parse)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Tlb {
        accesses: u64,
        hits: u64,
        misses: u64,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Report {
        program: String,
        tlbs: BTreeMap<String, Tlb>,
        cpi: f64,
        note: Option<String>,
    }

    fn report() -> Report {
        let mut tlbs = BTreeMap::new();
        tlbs.insert(
            "l2".to_string(),
            Tlb {
                accesses: 7,
                hits: 5,
                misses: 2,
            },
        );
        tlbs.insert(
            "dtlb".to_string(),
            Tlb {
                accesses: 100,
                hits: 93,
                misses: 7,
            },
        );
        Report {
            program: "hello.s".to_string(),
            tlbs,
            cpi: 1.25,
            note: None,
        }
    }

    #[test]
    fn version_first_then_fields_in_order_and_map_keys_sorted() {
        assert_eq!(
            to_json(2, &report()).unwrap(),
            r#"{
  "schema_version": 2,
  "program": "hello.s",
  "tlbs": {
    "dtlb": {
      "accesses": 100,
      "hits": 93,
      "misses": 7
    },
    "l2": {
      "accesses": 7,
      "hits": 5,
      "misses": 2
    }
  },
  "cpi": 1.25,
  "note": null
}
"#
        );
    }

    #[test]
    fn maps_work_as_bodies_and_round_trip() {
        let mut counters = BTreeMap::new();
        counters.insert("walks", 3u64);
        counters.insert("faults", 1);
        let text = to_json(1, &counters).unwrap();
        assert_eq!(
            text,
            "{\n  \"schema_version\": 1,\n  \"faults\": 1,\n  \"walks\": 3\n}\n"
        );
        let back: BTreeMap<String, u64> = from_json(&text, 1).unwrap();
        assert_eq!(back.get("walks"), Some(&3));
        assert_eq!(back.len(), 2);
        assert_eq!(
            from_json::<Report>(&to_json(9, &report()).unwrap(), 9).unwrap(),
            report()
        );
    }

    #[test]
    fn reading_checks_the_version() {
        let text = to_json(2, &report()).unwrap();
        let err = from_json::<Report>(&text, 3).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the JSON document has schema_version 2; this reader understands 3"
        );
        for bad in [
            r#"{"program": "x"}"#,
            r#"{"schema_version": "2"}"#,
            r#"{"schema_version": -1}"#,
            "[1]",
        ] {
            let err = from_json::<Report>(bad, 2).unwrap_err();
            assert_eq!(
                err.to_string(),
                "the JSON document has no integer \"schema_version\" key"
            );
        }
        let err = from_json::<Report>("{", 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot read the JSON document: EOF while parsing an object at line 1 column 1"
        );
        let err =
            from_json::<Tlb>(r#"{"schema_version": 1, "accesses": 1, "hits": 1}"#, 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot read the JSON document: missing field `misses`"
        );
    }

    #[test]
    fn bodies_without_keys_are_refused() {
        let err = to_json(1, &42u64).unwrap_err();
        assert!(matches!(err, JsonError::Serialize(_)));
        assert_eq!(
            err.to_string(),
            "cannot write the JSON document: can only flatten structs and maps (got an integer)"
        );
    }
}
