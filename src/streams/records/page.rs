//! A whole collection page decoded in one pass: each element of `elements` goes straight
//! from the body into its typed record and out as a record line.
//!
//! Why: reading a page first as raw elements (to keep the others when one does not decode,
//! issue 18) and then decoding each element scans every byte twice. On the comments
//! benchmark that first scan was 21 % of the connector's instructions (callgrind on the
//! 9,473 comments of `make bench`'s instruction count, before this change). This pass is
//! the fast path only: any element that does not decode, or anything unexpected in the
//! envelope, fails the whole pass, and the caller reads the page again the careful way
//! (raw elements, each decoded on its own, a bad one skipped with a warning). For a page
//! that decodes, both ways write the same bytes (tested against each other).
//!
//! The envelope is a Rest.li collection (`{"elements": [..], "paging": {..}}`, other keys
//! ignored; <https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/pagination>).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{write_record, Record, RecordCtx};
use crate::domain::Cursor;

/// A page whose elements all decoded.
#[derive(Default)]
pub struct DecodedPage {
    /// The records, one line each (newline-terminated), in element order.
    pub out: Vec<u8>,
    /// For each record: the offset in `out` just after its newline, and its cursor.
    pub records: Vec<(usize, Option<Cursor>)>,
    /// The page's `paging` object as sent, when it has one.
    pub paging: Option<Box<RawValue>>,
}

impl DecodedPage {
    /// The text of record `i`, without its newline.
    pub fn record(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.records[i - 1].0 };
        &self.out[start..self.records[i].0 - 1]
    }
}

/// Decodes a collection page's elements as `T` in one pass; an error as soon as anything
/// does not decode (the caller then falls back to element-by-element decoding).
pub fn decode_page<T: Record>(
    ctx: &RecordCtx,
    body: &[u8],
) -> Result<DecodedPage, serde_json::Error> {
    // Records run up to ~1.6× their element (the added columns and snake_case keys):
    // room for 2× means the buffer is not copied while it grows.
    let mut page = DecodedPage {
        out: Vec::with_capacity(body.len() * 2),
        ..DecodedPage::default()
    };
    // One UTF-8 check of the whole body, then a reader that checks no string again (on a
    // slice, serde_json checks each string on its own: 11 % of a comment's instructions).
    let body = std::str::from_utf8(body).map_err(de::Error::custom)?;
    let mut de = serde_json::Deserializer::from_str(body);
    (&mut de).deserialize_map(PageVisitor(Target::<T> {
        ctx,
        page: &mut page,
        t: PhantomData,
    }))?;
    de.end()?;
    // The page waits in the sink's queue at its size, not with the room left over.
    page.out.shrink_to_fit();
    Ok(page)
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Key {
    Elements,
    Paging,
    #[serde(other)]
    Other,
}

/// Where the records of `T` go: the partition's context and the page being written.
struct Target<'p, 'c, T> {
    ctx: &'p RecordCtx<'c>,
    page: &'p mut DecodedPage,
    t: PhantomData<T>,
}

impl<'c, T> Target<'_, 'c, T> {
    fn reborrow(&mut self) -> Target<'_, 'c, T> {
        Target {
            ctx: self.ctx,
            page: &mut *self.page,
            t: PhantomData,
        }
    }
}

/// The page object.
struct PageVisitor<'p, 'c, T>(Target<'p, 'c, T>);
/// Its `elements` array.
struct Elements<'p, 'c, T>(Target<'p, 'c, T>);
/// One element, written as a record line.
struct Element<'p, 'c, T>(Target<'p, 'c, T>);

impl<'de, T: Record> Visitor<'de> for PageVisitor<'_, '_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a collection page")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let (mut elements, mut paging) = (false, false);
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Elements if !elements => {
                    elements = true;
                    map.next_value_seed(Elements(self.0.reborrow()))?;
                }
                Key::Paging if !paging => {
                    paging = true;
                    self.0.page.paging = Some(map.next_value()?);
                }
                Key::Elements => return Err(de::Error::duplicate_field("elements")),
                Key::Paging => return Err(de::Error::duplicate_field("paging")),
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !elements {
            return Err(de::Error::missing_field("elements"));
        }
        Ok(())
    }
}

impl<'de, T: Record> DeserializeSeed<'de> for Elements<'_, '_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: Record> Visitor<'de> for Elements<'_, '_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of elements")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Element(self.0.reborrow()))?.is_some() {}
        Ok(())
    }
}

impl<'de, T: Record> DeserializeSeed<'de> for Element<'_, '_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let Target { ctx, page, .. } = self.0;
        let cursor =
            write_record(T::deserialize(d)?, ctx, &mut page.out).map_err(de::Error::custom)?;
        page.out.push(b'\n');
        page.records.push((page.out.len(), cursor));
        Ok(())
    }
}
