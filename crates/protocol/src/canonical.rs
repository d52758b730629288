//! Canonical JSON: the exact bytes a signature covers.
//!
//! Object keys sorted by their UTF-8 bytes, no insignificant whitespace, numbers as
//! serde_json prints them (shortest round-trip form). Key order is done here explicitly
//! rather than relying on serde_json's map type, because any crate in the build enabling
//! `preserve_order` would silently change the bytes and break every signature.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
#[error("cannot serialise the record to canonical JSON: {0}")]
pub struct CanonicalError(#[from] serde_json::Error);

/// Serialises `value` to canonical JSON.
pub fn canonical_json<T: Serialize>(value: &T) -> Result<String, CanonicalError> {
    let value = serde_json::to_value(value)?;
    let mut out = String::with_capacity(512);
    write_value(&value, &mut out)?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut String) -> Result<(), serde_json::Error> {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key)?);
                out.push(':');
                write_value(val, out)?;
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out)?;
            }
            out.push(']');
        }
        scalar => out.push_str(&serde_json::to_string(scalar)?),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_at_every_depth_and_drops_whitespace() {
        let v = json!({"b": 1, "a": {"z": [1, {"y": 2, "x": 3}], "c": "é"}});
        assert_eq!(
            canonical_json(&v).unwrap(),
            r#"{"a":{"c":"é","z":[1,{"x":3,"y":2}]},"b":1}"#
        );
    }

    #[test]
    fn same_value_same_bytes_whatever_the_input_order() {
        let a = json!({"k1": 0.1, "k2": null, "k3": true});
        let b: Value = serde_json::from_str(r#"{ "k3": true, "k2": null, "k1": 0.1 }"#).unwrap();
        assert_eq!(canonical_json(&a).unwrap(), canonical_json(&b).unwrap());
    }
}
