//! A compact JSON writer for records: the same bytes as `serde_json::to_writer`, faster.
//!
//! Profiling the comments benchmark (callgrind, 50k records) put 14 % of the connector's
//! instructions in serde_json's string escaper, which looks every byte up in a table. Records
//! are mostly plain ASCII strings (URNs, ids, text), so this writer checks eight bytes at a
//! time for the three things JSON must escape (`"`, `\` and control bytes) and copies clean
//! runs whole. Numbers go through serde_json's own `CompactFormatter` (itoa, ryu), and
//! non-finite floats become `null`, so every byte matches serde_json (tested against it).

use serde::ser::{self, Serialize};
use serde_json::ser::{CompactFormatter, Formatter};

type Error = serde_json::Error;
type Result<T> = std::result::Result<T, Error>;

/// Appends `value` as compact JSON to `out`.
pub fn write<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<()> {
    value.serialize(&mut Writer { out })
}

/// The serializer: a `Vec<u8>` it appends to.
pub struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Non-zero when any byte of `w` is `"`, `\` or below 0x20 (the zero-byte test is exact
/// as a yes/no; a flagged string is escaped byte by byte anyway).
#[inline]
fn escape_mask(w: u64) -> u64 {
    let zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let control = w.wrapping_sub(LO * 0x20) & !w & HI;
    control | zero(w ^ (LO * b'"' as u64)) | zero(w ^ (LO * b'\\' as u64))
}

/// The escape serde_json writes for each byte: 0 for none, `u` for `\\u00XX`.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[0x08] = b'b';
    t[0x0c] = b'f';
    t[b'\n' as usize] = b'n';
    t[b'\r' as usize] = b'r';
    t[b'\t' as usize] = b't';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Writes `s` as a JSON string, quotes included. Most strings need no escape: they are
/// checked eight bytes a word with no early exit (so the compiler can vectorise the loop)
/// and copied whole; only a string that has something to escape takes the byte loop.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if has_escape(bytes) {
        write_escaped(out, bytes);
    } else {
        out.extend_from_slice(bytes);
    }
    out.push(b'"');
}

/// Whether any byte of `bytes` needs an escape.
#[inline]
fn has_escape(bytes: &[u8]) -> bool {
    let word = |c: &[u8]| {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        u64::from_le_bytes(w)
    };
    if bytes.len() < 8 {
        // One word, padded with a byte that needs no escape (most keys are this short).
        let mut w = [b'a'; 8];
        w[..bytes.len()].copy_from_slice(bytes);
        return escape_mask(u64::from_le_bytes(w)) != 0;
    }
    let mut mask = 0;
    for c in bytes.chunks_exact(8) {
        mask |= escape_mask(word(c));
    }
    // The last eight bytes (overlapping the last full word) cover the remainder.
    (mask | escape_mask(word(&bytes[bytes.len() - 8..]))) != 0
}

/// The byte loop, as serde_json writes escapes.
#[cold]
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut clean = 0; // start of the run not yet copied
    for (i, &b) in bytes.iter().enumerate() {
        let e = ESCAPE[b as usize];
        if e == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[clean..i]);
        if e == b'u' {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xf) as usize],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', e]);
        }
        clean = i + 1;
    }
    out.extend_from_slice(&bytes[clean..]);
}

fn write_f64(out: &mut Vec<u8>, v: f64) -> Result<()> {
    if v.is_finite() {
        CompactFormatter.write_f64(out, v).map_err(Error::io)
    } else {
        out.extend_from_slice(b"null");
        Ok(())
    }
}

fn write_f32(out: &mut Vec<u8>, v: f32) -> Result<()> {
    if v.is_finite() {
        CompactFormatter.write_f32(out, v).map_err(Error::io)
    } else {
        out.extend_from_slice(b"null");
        Ok(())
    }
}

/// An open array or object: whether the next element is the first.
pub struct Compound<'a, 'b> {
    ser: &'b mut Writer<'a>,
    first: bool,
    /// The closing bytes (`]`, `}`, or `]}` / `}}` for enum variants).
    close: &'static [u8],
}

impl Compound<'_, '_> {
    fn comma(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.ser.out.push(b',');
        }
    }
    fn finish(self) -> Result<()> {
        self.ser.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl<'a, 'b> ser::Serializer for &'b mut Writer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        CompactFormatter.write_i64(self.out, v).map_err(Error::io)
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        CompactFormatter.write_i128(self.out, v).map_err(Error::io)
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        CompactFormatter.write_u64(self.out, v).map_err(Error::io)
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        CompactFormatter.write_u128(self.out, v).map_err(Error::io)
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        write_f32(self.out, v)
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        write_f64(self.out, v)
    }
    fn serialize_char(self, v: char) -> Result<()> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<()> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.push(b':');
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a, 'b>> {
        self.out.push(b'[');
        Ok(Compound {
            ser: self,
            first: true,
            close: b"]",
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'b>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, 'b>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'b>> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.extend_from_slice(b":[");
        Ok(Compound {
            ser: self,
            first: true,
            close: b"]}",
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a, 'b>> {
        self.out.push(b'{');
        Ok(Compound {
            ser: self,
            first: true,
            close: b"}",
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, 'b>> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'b>> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.extend_from_slice(b":{");
        Ok(Compound {
            ser: self,
            first: true,
            close: b"}}",
        })
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.comma();
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.comma();
        key.serialize(KeyWriter {
            out: &mut *self.ser.out,
        })?;
        self.ser.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.comma();
        write_str(self.ser.out, key);
        self.ser.out.push(b':');
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

/// Object keys: strings as they are; numbers, booleans and chars quoted, as serde_json
/// writes them; anything else is an error (JSON keys are strings).
struct KeyWriter<'a> {
    out: &'a mut Vec<u8>,
}

fn key_error() -> Error {
    ser::Error::custom("key must be a string")
}

impl KeyWriter<'_> {
    fn quoted(self, f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> Result<()> {
        self.out.push(b'"');
        f(self.out).map_err(Error::io)?;
        self.out.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<()> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<()> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_bool(self, v: bool) -> Result<()> {
        self.quoted(|o| {
            o.extend_from_slice(if v { b"true" } else { b"false" });
            Ok(())
        })
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.quoted(|o| CompactFormatter.write_i64(o, v))
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        self.quoted(|o| CompactFormatter.write_i128(o, v))
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        self.quoted(|o| CompactFormatter.write_u64(o, v))
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        self.quoted(|o| CompactFormatter.write_u128(o, v))
    }
    fn serialize_f32(self, _: f32) -> Result<()> {
        Err(key_error())
    }
    fn serialize_f64(self, _: f64) -> Result<()> {
        Err(key_error())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<()> {
        Err(key_error())
    }
    fn serialize_none(self) -> Result<()> {
        Err(key_error())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<()> {
        Err(key_error())
    }
    fn serialize_unit(self) -> Result<()> {
        Err(key_error())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        Err(key_error())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<()> {
        Err(key_error())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_error())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(key_error())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(key_error())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(key_error())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_error())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(key_error())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(key_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    fn same(v: &Value) {
        let mut ours = Vec::new();
        write(&mut ours, v).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            serde_json::to_string(v).unwrap()
        );
    }

    #[test]
    fn escapes_like_serde_json() {
        for s in [
            "",
            "plain",
            "exactly8",
            "\"",
            "a\\b",
            "tab\there, newline\nthen \r\u{8}\u{c}\u{1}\u{1f}\u{7f} end",
            "é ü 日本 🎉 \u{2028}",
            "0123456789abcdef\"0123456789abcdef\\0123456789abcdef\u{0}",
        ] {
            same(&json!(s));
            same(&json!({ s: s }));
        }
    }

    /// Every length the word checks treat apart (0 to 24 bytes: padded, one word, words
    /// with an overlapping last one), clean and with each kind of escape at each position.
    #[test]
    fn every_short_length_and_escape_position_like_serde_json() {
        for n in 0..=24 {
            let clean: String = ('a'..='z').cycle().take(n).collect();
            same(&json!(clean));
            same(&json!({ &clean: &clean }));
            for at in 0..n {
                for c in ['"', '\\', '\n', '\u{0}', '\u{1f}', '\u{7f}'] {
                    let mut s = clean.clone();
                    s.replace_range(at..=at, c.encode_utf8(&mut [0; 4]));
                    same(&json!(s));
                    same(&json!({ &s: &s }));
                }
            }
        }
    }

    #[test]
    fn numbers_and_shapes_like_serde_json() {
        same(
            &json!({"i": -1, "u": u64::MAX, "f": 0.1, "big": 1e300, "tiny": 5e-324, "neg0": -0.0,
            "arr": [], "obj": {}, "nested": [{"a": [1, 2.5, null, true, false]}]}),
        );
        let mut ours = Vec::new();
        write(&mut ours, &f64::NAN).unwrap();
        write(&mut ours, &Some(f32::INFINITY)).unwrap();
        write(&mut ours, &1.5f32).unwrap();
        assert_eq!(ours, b"nullnull1.5");
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[ -~\\x00-\\x1f\u{80}-\u{10ffff}]{0,40}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_value_writes_like_serde_json(v in any_json()) {
            same(&v);
        }
    }
}
