//! Reading the names out of an X.509 certificate. Given code: read it to see what a
//! certificate holds, nothing to do here.
//!
//! A certificate is DER: nested type-length-value elements. The parts that name the holder:
//!
//! ```text
//! Certificate ::= SEQUENCE {
//!   tbsCertificate SEQUENCE {
//!     version [0] EXPLICIT INTEGER OPTIONAL,
//!     serialNumber INTEGER,
//!     signature AlgorithmIdentifier,
//!     issuer Name,
//!     validity SEQUENCE { notBefore, notAfter },
//!     subject Name,                 -- SEQUENCE OF SET OF { OID, value }; CN is 2.5.4.3
//!     subjectPublicKeyInfo SEQUENCE,
//!     ...,
//!     extensions [3] EXPLICIT SEQUENCE OF Extension OPTIONAL
//!   }                               -- subjectAltName (2.5.29.17) is a SEQUENCE OF
//!   signatureAlgorithm, signature   --   GeneralName: [2] dNSName, [6] URI, [7] iPAddress...
//! }
//! ```
//!
//! This reader walks exactly that far and no further. It runs only on certificates that
//! rustls has already verified (signature, validity, issuer), so it extracts names, it does
//! not decide trust. A production service would use a full parser such as `x509-parser`;
//! this one avoids a dependency and fits on a page.

/// The names a certificate gives its holder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateNames {
    /// The subject's common name (CN), if it has one: the traditional, human-facing name.
    pub common_name: Option<String>,
    /// DNS-name subject alternative names, e.g. `localhost`.
    pub dns_names: Vec<String>,
    /// URI subject alternative names, e.g. `spiffe://workbook.test/billing`.
    pub uris: Vec<String>,
}

/// The bytes are not a DER certificate this reader understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotACertificate;

impl std::fmt::Display for NotACertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a DER-encoded X.509 certificate")
    }
}

impl std::error::Error for NotACertificate {}

const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const OBJECT_IDENTIFIER: u8 = 0x06;
const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const BOOLEAN: u8 = 0x01;
const UTF8_STRING: u8 = 0x0c;
const PRINTABLE_STRING: u8 = 0x13;
const IA5_STRING: u8 = 0x16;
/// `[0] EXPLICIT`, constructed: the version.
const VERSION: u8 = 0xa0;
/// `[3] EXPLICIT`, constructed: the extensions.
const EXTENSIONS: u8 = 0xa3;
/// `[2] IMPLICIT IA5String`: a DNS name in a GeneralName.
const DNS_NAME: u8 = 0x82;
/// `[6] IMPLICIT IA5String`: a URI in a GeneralName.
const URI: u8 = 0x86;
/// 2.5.4.3, id-at-commonName, as DER object-identifier contents.
const COMMON_NAME_OID: &[u8] = &[0x55, 0x04, 0x03];
/// 2.5.29.17, id-ce-subjectAltName.
const SUBJECT_ALT_NAME_OID: &[u8] = &[0x55, 0x1d, 0x11];

impl CertificateNames {
    /// The names in the DER certificate `der` (what `Request::peer_certs` hands out).
    pub fn from_der(der: &[u8]) -> Result<Self, NotACertificate> {
        let mut input = der;
        let mut certificate = expect(&mut input, SEQUENCE)?;
        let mut tbs = expect(&mut certificate, SEQUENCE)?;
        if tbs.first() == Some(&VERSION) {
            next(&mut tbs)?;
        }
        expect(&mut tbs, INTEGER)?; // serialNumber
        expect(&mut tbs, SEQUENCE)?; // signature algorithm
        expect(&mut tbs, SEQUENCE)?; // issuer
        expect(&mut tbs, SEQUENCE)?; // validity
        let subject = expect(&mut tbs, SEQUENCE)?;
        expect(&mut tbs, SEQUENCE)?; // subjectPublicKeyInfo

        let mut names = CertificateNames {
            common_name: common_name(subject)?,
            ..Self::default()
        };
        // What is left: optional unique identifiers, then the optional extensions.
        while !tbs.is_empty() {
            let (tag, mut contents) = next(&mut tbs)?;
            if tag != EXTENSIONS {
                continue;
            }
            let mut extensions = expect(&mut contents, SEQUENCE)?;
            while !extensions.is_empty() {
                let mut extension = expect(&mut extensions, SEQUENCE)?;
                let oid = expect(&mut extension, OBJECT_IDENTIFIER)?;
                if extension.first() == Some(&BOOLEAN) {
                    next(&mut extension)?; // critical
                }
                let mut value = expect(&mut extension, OCTET_STRING)?;
                if oid == SUBJECT_ALT_NAME_OID {
                    let mut general_names = expect(&mut value, SEQUENCE)?;
                    while !general_names.is_empty() {
                        let (tag, name) = next(&mut general_names)?;
                        let list = match tag {
                            DNS_NAME => &mut names.dns_names,
                            URI => &mut names.uris,
                            _ => continue, // IP addresses, emails, directory names...
                        };
                        list.push(ascii(name)?);
                    }
                }
            }
        }
        Ok(names)
    }
}

/// The last CN in a `Name` (the most specific one, when there are several).
fn common_name(mut name: &[u8]) -> Result<Option<String>, NotACertificate> {
    let mut found = None;
    while !name.is_empty() {
        let mut relative_name = expect(&mut name, SET)?;
        while !relative_name.is_empty() {
            let mut attribute = expect(&mut relative_name, SEQUENCE)?;
            let oid = expect(&mut attribute, OBJECT_IDENTIFIER)?;
            let (tag, value) = next(&mut attribute)?;
            if oid == COMMON_NAME_OID {
                found = match tag {
                    UTF8_STRING | PRINTABLE_STRING | IA5_STRING => Some(
                        std::str::from_utf8(value)
                            .map_err(|_| NotACertificate)?
                            .to_owned(),
                    ),
                    _ => None, // BMPString and other rarities: no name we can show
                };
            }
        }
    }
    Ok(found)
}

fn ascii(bytes: &[u8]) -> Result<String, NotACertificate> {
    if bytes.is_ascii() {
        Ok(String::from_utf8_lossy(bytes).into_owned())
    } else {
        Err(NotACertificate)
    }
}

/// Splits the next element off `input`: its tag and its contents.
fn next<'a>(input: &mut &'a [u8]) -> Result<(u8, &'a [u8]), NotACertificate> {
    let (&tag, rest) = input.split_first().ok_or(NotACertificate)?;
    if tag & 0x1f == 0x1f {
        return Err(NotACertificate); // multi-byte tags never occur in these structures
    }
    let (&first, mut rest) = rest.split_first().ok_or(NotACertificate)?;
    let length = if first < 0x80 {
        usize::from(first)
    } else {
        // Long form: the low bits say how many length bytes follow (big-endian).
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return Err(NotACertificate);
        }
        let (bytes, after) = rest.split_at(count);
        rest = after;
        bytes
            .iter()
            .fold(0usize, |length, &byte| (length << 8) | usize::from(byte))
    };
    if rest.len() < length {
        return Err(NotACertificate);
    }
    let (contents, after) = rest.split_at(length);
    *input = after;
    Ok((tag, contents))
}

/// Splits the next element off `input`, which must have tag `tag`; returns its contents.
fn expect<'a>(input: &mut &'a [u8], tag: u8) -> Result<&'a [u8], NotACertificate> {
    match next(input)? {
        (found, contents) if found == tag => Ok(contents),
        _ => Err(NotACertificate),
    }
}
