//! Byte ranges and edits: plan them, check them, then apply them.

use crate::error::EditError;

/// A half-open byte range `[byte_start, byte_end)` into a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSpan {
    byte_start: usize,
    byte_end: usize,
}

impl ByteSpan {
    /// A span; `None` when `byte_start > byte_end`.
    pub fn new(byte_start: usize, byte_end: usize) -> Option<Self> {
        (byte_start <= byte_end).then_some(ByteSpan {
            byte_start,
            byte_end,
        })
    }

    /// An empty span at `byte_offset` (an insertion point).
    pub fn empty(byte_offset: usize) -> Self {
        ByteSpan {
            byte_start: byte_offset,
            byte_end: byte_offset,
        }
    }

    /// First byte of the span.
    pub fn byte_start(self) -> usize {
        self.byte_start
    }

    /// One past the last byte of the span.
    pub fn byte_end(self) -> usize {
        self.byte_end
    }

    /// Length in bytes.
    pub fn byte_len(self) -> usize {
        self.byte_end - self.byte_start
    }
}

/// Replace the bytes of `span` with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// What is replaced (empty for an insertion).
    pub span: ByteSpan,
    /// What replaces it.
    pub replacement: String,
}

/// A set of edits, sorted and checked for overlaps, ready to apply.
#[derive(Debug, Clone, Default)]
pub struct EditPlan {
    edits: Vec<Edit>,
}

impl EditPlan {
    /// Sort `edits` and reject any two that overlap or insert at the same
    /// point (their order would be ambiguous). Never drops an edit.
    pub fn new(mut edits: Vec<Edit>, source_len: usize) -> Result<Self, EditError> {
        edits.sort_by_key(|edit| (edit.span.byte_start, edit.span.byte_end));
        for edit in &edits {
            if edit.span.byte_end > source_len {
                return Err(EditError::OutOfBounds {
                    byte_start: edit.span.byte_start,
                    byte_end: edit.span.byte_end,
                    source_len,
                });
            }
        }
        for pair in edits.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let touches_insertion = a.span.byte_start == b.span.byte_start;
            if a.span.byte_end > b.span.byte_start || touches_insertion {
                return Err(EditError::Overlap {
                    first: a.span,
                    second: b.span,
                });
            }
        }
        Ok(EditPlan { edits })
    }

    /// The edits, sorted by position.
    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    /// Number of edits.
    pub fn len(&self) -> usize {
        self.edits.len()
    }

    /// Whether the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// Apply every edit to `source`. Spans must fall on character
    /// boundaries of `source`, which [`EditPlan::new`]'s callers guarantee
    /// by building spans from syntax nodes and ASCII newlines.
    pub fn apply(&self, source: &str) -> Result<String, EditError> {
        let growth: usize = self.edits.iter().map(|e| e.replacement.len()).sum();
        let mut out = String::with_capacity(source.len() + growth);
        let mut cursor = 0;
        for edit in &self.edits {
            let (start, end) = (edit.span.byte_start, edit.span.byte_end);
            let kept = source
                .get(cursor..start)
                .ok_or(EditError::NotCharBoundary { byte_offset: start })?;
            out.push_str(kept);
            if source.get(start..end).is_none() {
                return Err(EditError::NotCharBoundary { byte_offset: end });
            }
            out.push_str(&edit.replacement);
            cursor = end;
        }
        out.push_str(source.get(cursor..).unwrap_or_default());
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(start: usize, end: usize, text: &str) -> Edit {
        Edit {
            span: ByteSpan::new(start, end).expect("valid span"),
            replacement: text.to_owned(),
        }
    }

    #[test]
    fn span_rejects_reversed_range() {
        assert!(ByteSpan::new(3, 2).is_none());
        assert_eq!(ByteSpan::new(2, 5).map(ByteSpan::byte_len), Some(3));
    }

    #[test]
    fn edits_apply_in_order_whatever_order_given() {
        let plan = EditPlan::new(vec![edit(4, 5, "X"), edit(0, 1, "")], 6).expect("plan");
        assert_eq!(plan.apply("abcdef").expect("apply"), "bcdXf");
    }

    #[test]
    fn overlapping_edits_are_a_typed_error() {
        let err = EditPlan::new(vec![edit(0, 3, ""), edit(2, 4, "")], 6).unwrap_err();
        assert!(matches!(err, EditError::Overlap { .. }), "{err}");
        let err = EditPlan::new(vec![edit(2, 2, "a"), edit(2, 2, "b")], 6).unwrap_err();
        assert!(matches!(err, EditError::Overlap { .. }), "{err}");
    }

    #[test]
    fn out_of_bounds_and_char_boundaries_are_errors() {
        assert!(EditPlan::new(vec![edit(5, 9, "")], 6).is_err());
        let plan = EditPlan::new(vec![edit(1, 1, "x")], 2).expect("plan");
        assert!(plan.apply("é").is_err());
    }
}
