//! Where keys are in the TOML text, and removing them.
//!
//! The loader deserialises, and on an error drops the offending key and tries again;
//! each retry parses a *rewritten* text, so byte offsets from serde refer to that text.
//! A [`SpanIndex`] of each text maps an offset to a key path, and the index of the
//! original text maps that path back to where the administrator's editor shows it.

use std::ops::Range;

use toml_edit::{Document, DocumentMut, Item, TableLike};

/// One key of the document: its dotted path, and the spans of its key and value.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub path: Vec<String>,
    pub key: Range<usize>,
    /// The value; for a `[table]` its header, for a dotted-key parent the key.
    pub value: Option<Range<usize>>,
    /// Spans of the elements when the value is an array.
    pub elements: Vec<Option<Range<usize>>>,
    /// Whether the value is a table (a section), for "unknown section" wording.
    pub value_is_table: bool,
}

impl Entry {
    pub fn dotted(&self) -> String {
        self.path.join(".")
    }
}

/// Which part of an entry an offset fell in, and how far into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Key(usize),
    Value(usize),
}

#[derive(Debug, Default)]
pub(crate) struct SpanIndex {
    entries: Vec<Entry>,
}

impl SpanIndex {
    pub fn new<S: AsRef<str>>(doc: &Document<S>) -> SpanIndex {
        let mut entries = Vec::new();
        walk(doc.as_table(), &mut Vec::new(), &mut entries);
        SpanIndex { entries }
    }

    /// The innermost key whose key or value text contains `offset`.
    pub fn at(&self, offset: usize) -> Option<(&Entry, Part)> {
        self.entries
            .iter()
            .filter_map(|e| {
                if covers(&e.key, offset) {
                    Some((e, Part::Key(offset - e.key.start)))
                } else {
                    let v = e.value.as_ref().filter(|v| covers(v, offset))?;
                    Some((e, Part::Value(offset - v.start)))
                }
            })
            .max_by_key(|(e, _)| e.path.len())
    }

    pub fn get(&self, path: &[String]) -> Option<&Entry> {
        self.entries.iter().find(|e| e.path == path)
    }

    /// Byte offset of `part` of the key at `path`, if the key is in this document.
    pub fn offset_of(&self, path: &[String], part: Part) -> Option<usize> {
        let e = self.get(path)?;
        Some(match part {
            Part::Key(rel) => e.key.start + rel,
            Part::Value(rel) => e.value.as_ref().unwrap_or(&e.key).start + rel,
        })
    }

    /// Where to point for a problem with `path` (element `index` of an array, if
    /// given): the value when the key is written, else the nearest enclosing table's
    /// header (a default applied), else the start of the file.
    pub fn point_at(&self, path: &[String], index: Option<usize>) -> usize {
        if let Some(e) = self.get(path) {
            let element = index.and_then(|i| e.elements.get(i).cloned().flatten());
            return element
                .or_else(|| e.value.clone())
                .unwrap_or(e.key.clone())
                .start;
        }
        (1..path.len())
            .rev()
            .find_map(|n| self.get(&path[..n]))
            .map(|e| e.value.as_ref().unwrap_or(&e.key).start)
            .unwrap_or(0)
    }
}

/// Empty spans (an error at the end of input) cover their own start.
fn covers(span: &Range<usize>, offset: usize) -> bool {
    span.start <= offset && (offset < span.end || (span.is_empty() && offset == span.start))
}

fn walk(table: &dyn TableLike, prefix: &mut Vec<String>, out: &mut Vec<Entry>) {
    for (name, item) in table.iter() {
        let Some(key) = table.key(name).and_then(|k| k.span()) else {
            continue;
        };
        prefix.push(name.to_owned());
        let elements = match item {
            Item::Value(toml_edit::Value::Array(a)) => a.iter().map(|v| v.span()).collect(),
            _ => Vec::new(),
        };
        out.push(Entry {
            path: prefix.clone(),
            key,
            value: item.span(),
            elements,
            value_is_table: item.is_table_like(),
        });
        // Arrays of tables are not descended: the configuration has none, so the whole
        // array is the thing that is wrong.
        if let Some(inner) = item.as_table_like() {
            walk(inner, prefix, out);
        }
        prefix.pop();
    }
}

/// Removes the key at `path`; false when it is not there.
pub(crate) fn remove(doc: &mut DocumentMut, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut table: &mut dyn TableLike = doc.as_table_mut();
    for p in parents {
        match table.get_mut(p).and_then(Item::as_table_like_mut) {
            Some(t) => table = t,
            None => return false,
        }
    }
    table.remove(last).is_some()
}

/// 1-based line and column (in characters, as editors count) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_owned).collect()
    }

    const TEXT: &str = "top = 1\n[camera]\nwidth = \"x\"\nset = [\"a\", \"b\"]\n[flow]\n";

    #[test]
    fn finds_innermost_key_for_key_and_value_offsets() {
        let doc = Document::parse(TEXT).unwrap();
        let index = SpanIndex::new(&doc);
        let width_key = TEXT.find("width").unwrap();
        let (e, part) = index.at(width_key + 2).unwrap();
        assert_eq!((e.dotted().as_str(), part), ("camera.width", Part::Key(2)));
        let width_value = TEXT.find("\"x\"").unwrap();
        let (e, part) = index.at(width_value).unwrap();
        assert_eq!(
            (e.dotted().as_str(), part),
            ("camera.width", Part::Value(0))
        );
        let header = TEXT.find("[camera]").unwrap();
        assert_eq!(index.at(header).unwrap().0.dotted(), "camera");
    }

    #[test]
    fn points_at_values_elements_headers_or_the_start() {
        let doc = Document::parse(TEXT).unwrap();
        let index = SpanIndex::new(&doc);
        assert_eq!(
            index.point_at(&path("camera.set"), Some(1)),
            TEXT.find("\"b\"").unwrap()
        );
        assert_eq!(
            index.point_at(&path("camera.fps"), None),
            TEXT.find("[camera]").unwrap()
        );
        assert_eq!(
            index.point_at(&path("flow.max_attempts"), None),
            TEXT.find("[flow]").unwrap()
        );
        assert_eq!(index.point_at(&path("ui.language"), None), 0);
    }

    #[test]
    fn removes_nested_keys_and_keeps_the_rest_verbatim() {
        let mut doc = Document::parse(TEXT).unwrap().into_mut();
        assert!(remove(&mut doc, &path("camera.width")));
        assert!(!remove(&mut doc, &path("camera.width")));
        assert!(!remove(&mut doc, &path("nope.width")));
        assert_eq!(doc.to_string(), TEXT.replace("width = \"x\"\n", ""));
    }

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\n# 说明\nb = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, text.find('b').unwrap() + 4), (3, 5));
        assert_eq!(line_col(text, text.find('明').unwrap()), (2, 4));
        assert_eq!(line_col(text, 10_000), (4, 1));
    }
}
