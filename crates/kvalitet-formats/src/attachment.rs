//! Files a resident attaches to a proposal (PDF, PNG, JPEG), checked as files before they are
//! kept: the bytes must be the kind they claim, whole, and free of what a public page must not
//! pass on. Pictures lose their metadata (a phone photo's EXIF holds where it was taken, often
//! the resident's home); a JPEG keeps only its orientation, so a portrait photo still stands.
//!
//! Written by hand because what is needed is small and exact (a walk over PNG chunks and JPEG
//! segments that drops some and keeps the rest byte for byte); an image library would decode
//! and re-encode every picture, losing quality and costing a decoder's build and attack surface.

use thiserror::Error;

/// At most this many files with one proposal.
pub const MAX_FILES: usize = 3;
/// At most this many bytes in one file.
pub const MAX_FILE_BYTES: usize = 4 << 20;
/// A picture's width and height in pixels at most (a decoder's memory is width × height).
pub const MAX_PIXELS_SIDE: u32 = 12_000;
/// The characters of a file name kept.
const MAX_NAME_CHARS: usize = 80;

/// What a checked file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    Pdf,
    Png,
    Jpeg,
}

impl AttachmentKind {
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Png => "png",
            Self::Jpeg => "jpg",
        }
    }

    /// The kind of a stored media type.
    pub fn of_media_type(media_type: &str) -> Option<Self> {
        [Self::Pdf, Self::Png, Self::Jpeg]
            .into_iter()
            .find(|k| k.media_type() == media_type)
    }

    pub fn is_picture(self) -> bool {
        !matches!(self, Self::Pdf)
    }
}

/// A file that passed: a safe name ending in its kind's extension, and the bytes to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    pub kind: AttachmentKind,
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Why a file was refused; the caller says it in the user's language with the file's name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AttachmentProblem {
    #[error("the file is larger than {MAX_FILE_BYTES} bytes")]
    TooLarge,
    #[error("the file is empty")]
    Empty,
    #[error("not a PDF, PNG or JPEG file")]
    UnknownKind,
    #[error("the file is cut short or damaged: {0}")]
    Broken(&'static str),
    #[error("the picture is larger than {MAX_PIXELS_SIDE} pixels on a side")]
    TooManyPixels,
    #[error("the PDF holds active content ({0})")]
    ActivePdf(&'static str),
}

/// Checks one file as sent and returns what may be kept.
pub fn check(name: &str, bytes: &[u8]) -> Result<CheckedFile, AttachmentProblem> {
    if bytes.is_empty() {
        return Err(AttachmentProblem::Empty);
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(AttachmentProblem::TooLarge);
    }
    let (kind, kept) = if bytes.starts_with(PNG_SIGNATURE) {
        (AttachmentKind::Png, png(bytes)?)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        (AttachmentKind::Jpeg, jpeg(bytes)?)
    } else if bytes.starts_with(b"%PDF-") {
        pdf(bytes)?;
        (AttachmentKind::Pdf, bytes.to_vec())
    } else {
        return Err(AttachmentProblem::UnknownKind);
    };
    Ok(CheckedFile {
        kind,
        name: safe_name(name, kind),
        bytes: kept,
    })
}

/// The name as sent, without folders or characters a header or a file system could trip on,
/// ending in the kind's extension (whatever the sender's name said).
pub fn safe_name(sent: &str, kind: AttachmentKind) -> String {
    let base = sent.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = match base.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => base,
    };
    let mut clean: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_NAME_CHARS)
        .collect();
    clean = clean.trim().to_owned();
    if clean.is_empty() {
        clean = "bilaga".into();
    }
    format!("{clean}.{}", kind.extension())
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Ancillary PNG chunks that carry text, time or EXIF rather than the picture.
const PNG_METADATA: [&[u8; 4]; 5] = [b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"];

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Walks the chunks (each length checked against what is left, each CRC checked), requires
/// IHDR first with a sane size and IEND last; drops metadata chunks and anything after IEND.
fn png(bytes: &[u8]) -> Result<Vec<u8>, AttachmentProblem> {
    let mut kept = PNG_SIGNATURE.to_vec();
    let mut at = PNG_SIGNATURE.len();
    let mut first = true;
    loop {
        let head = bytes
            .get(at..at + 8)
            .ok_or(AttachmentProblem::Broken("no IEND chunk"))?;
        let length = be32(head) as usize;
        let kind = &head[4..8];
        let end = at
            .checked_add(12)
            .and_then(|n| n.checked_add(length))
            .filter(|&n| n <= bytes.len())
            .ok_or(AttachmentProblem::Broken("a chunk runs past the end"))?;
        let data = &bytes[at + 8..end - 4];
        if crc32fast::hash(&bytes[at + 4..end - 4]) != be32(&bytes[end - 4..end]) {
            return Err(AttachmentProblem::Broken("a chunk's checksum is wrong"));
        }
        if first {
            if kind != b"IHDR" || data.len() != 13 {
                return Err(AttachmentProblem::Broken("no IHDR chunk first"));
            }
            let (width, height) = (be32(&data[0..4]), be32(&data[4..8]));
            if width == 0 || height == 0 {
                return Err(AttachmentProblem::Broken("a picture without pixels"));
            }
            if width > MAX_PIXELS_SIDE || height > MAX_PIXELS_SIDE {
                return Err(AttachmentProblem::TooManyPixels);
            }
            first = false;
        }
        if !PNG_METADATA.iter().any(|m| kind == *m) {
            kept.extend_from_slice(&bytes[at..end]);
        }
        if kind == b"IEND" {
            return Ok(kept);
        }
        at = end;
    }
}

/// Walks the segments up to the first scan: drops APP1 (EXIF and XMP, where a photo's place
/// is), APP13 (IPTC) and comments, putting back an EXIF block with only the orientation;
/// requires a frame header with a sane size; keeps the scans to the end-of-image marker.
fn jpeg(bytes: &[u8]) -> Result<Vec<u8>, AttachmentProblem> {
    let mut kept = vec![0xFF, 0xD8];
    let mut at = 2;
    let mut orientation = None;
    let mut frame = false;
    loop {
        // Markers may be padded with any number of 0xFF.
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let marker = match bytes.get(at..at + 2) {
            Some([0xFF, m]) => *m,
            _ => {
                return Err(AttachmentProblem::Broken(
                    "a segment does not start with a marker",
                ));
            }
        };
        if marker == 0xD9 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            return Err(AttachmentProblem::Broken("no picture data before its end"));
        }
        let length = bytes
            .get(at + 2..at + 4)
            .map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
            .filter(|&l| l >= 2)
            .ok_or(AttachmentProblem::Broken("a segment without its length"))?;
        let end = at + 2 + length;
        let segment = bytes
            .get(at..end)
            .ok_or(AttachmentProblem::Broken("a segment runs past the end"))?;
        let data = &segment[4..];
        match marker {
            0xE1 => {
                if orientation.is_none() {
                    orientation = exif_orientation(data);
                }
            }
            0xED | 0xFE => {}
            // Start of frame (baseline, progressive and the rarer codings; not DHT, JPG, DAC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let size = data
                    .get(1..5)
                    .ok_or(AttachmentProblem::Broken("a frame header cut short"))?;
                let height = u32::from(u16::from_be_bytes([size[0], size[1]]));
                let width = u32::from(u16::from_be_bytes([size[2], size[3]]));
                if width == 0 {
                    return Err(AttachmentProblem::Broken("a picture without pixels"));
                }
                if width > MAX_PIXELS_SIDE || height > MAX_PIXELS_SIDE {
                    return Err(AttachmentProblem::TooManyPixels);
                }
                frame = true;
                kept.extend_from_slice(segment);
            }
            0xDA => {
                if !frame {
                    return Err(AttachmentProblem::Broken("a scan before the frame header"));
                }
                // Entropy-coded data never holds 0xFF 0xD9 (a 0xFF there is followed by 0x00
                // or a restart marker), so the first one after the first scan's header ends
                // the picture; what follows (a phone's appended video, say) is dropped.
                let scans = &bytes[end..];
                let eoi = scans
                    .windows(2)
                    .position(|w| w == [0xFF, 0xD9])
                    .ok_or(AttachmentProblem::Broken("no end-of-image marker"))?;
                if let Some(o) = orientation {
                    kept.extend_from_slice(&exif_with_orientation(o));
                }
                kept.extend_from_slice(segment);
                kept.extend_from_slice(&scans[..eoi + 2]);
                return Ok(kept);
            }
            _ => kept.extend_from_slice(segment),
        }
        at = end;
    }
}

/// The orientation (1–8) in an APP1 EXIF block, when there is one.
fn exif_orientation(data: &[u8]) -> Option<u16> {
    let tiff = data.strip_prefix(b"Exif\0\0")?;
    let big = match tiff.get(0..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |i: usize| -> Option<u16> {
        let b = tiff.get(i..i + 2)?;
        Some(if big {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    };
    let u32_at = |i: usize| -> Option<usize> {
        let b = tiff.get(i..i + 4)?;
        let n = if big {
            u32::from_be_bytes([b[0], b[1], b[2], b[3]])
        } else {
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        };
        usize::try_from(n).ok()
    };
    let ifd = u32_at(4)?;
    let entries = usize::from(u16_at(ifd)?);
    // The loop is bounded by the block's length: an entry past it ends the search.
    (0..entries.min(tiff.len() / 12)).find_map(|i| {
        let entry = ifd.checked_add(2 + 12 * i)?;
        (u16_at(entry)? == 0x0112)
            .then(|| u16_at(entry + 8))
            .flatten()
            .filter(|o| (1..=8).contains(o))
    })
}

/// An APP1 segment holding an EXIF block with the orientation alone.
fn exif_with_orientation(orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // one value
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let mut segment = vec![0xFF, 0xE1];
    let length = u16::try_from(2 + 6 + tiff.len()).unwrap_or(u16::MAX);
    segment.extend_from_slice(&length.to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&tiff);
    segment
}

/// Names in a PDF that make it do something when opened (run script, start a program, carry
/// other files or media). A name may spell a letter as `#xx`, so names are read unescaped.
/// This sees only what is not inside a compressed stream: the download's headers (an
/// attachment, a sandbox) are the other half of the defence (docs/security.md).
const PDF_ACTIVE: [&str; 6] = [
    "JavaScript",
    "JS",
    "Launch",
    "EmbeddedFile",
    "RichMedia",
    "XFA",
];

fn pdf(bytes: &[u8]) -> Result<(), AttachmentProblem> {
    let tail = &bytes[bytes.len().saturating_sub(2048)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(AttachmentProblem::Broken("no %%EOF at the end"));
    }
    let mut at = 0;
    while let Some(slash) = bytes[at..].iter().position(|&b| b == b'/') {
        let start = at + slash + 1;
        let mut name = Vec::new();
        let mut i = start;
        while let Some(&b) = bytes.get(i) {
            if b == b'#'
                && let Some(v) = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                name.push(v);
                i += 3;
            } else if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-' {
                name.push(b);
                i += 1;
            } else {
                break;
            }
            if name.len() > 32 {
                break;
            }
        }
        if let Some(found) = PDF_ACTIVE.iter().find(|a| a.as_bytes() == name.as_slice()) {
            return Err(AttachmentProblem::ActivePdf(found));
        }
        at = i.max(start);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (u32::try_from(data.len()).expect("small"))
            .to_be_bytes()
            .to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        let crc = crc32fast::hash(&c[4..]);
        c.extend_from_slice(&crc.to_be_bytes());
        c
    }

    fn png_of(width: u32, extra: &[Vec<u8>]) -> Vec<u8> {
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&1u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        let mut p = PNG_SIGNATURE.to_vec();
        p.extend(chunk(b"IHDR", &ihdr));
        for e in extra {
            p.extend_from_slice(e);
        }
        p.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0, 0, 0, 1, 0, 1]));
        p.extend(chunk(b"IEND", &[]));
        p
    }

    #[test]
    fn a_png_loses_its_text_and_keeps_its_picture() {
        let text = chunk(b"tEXt", b"Comment\0home: Storgatan 5");
        let sent = png_of(1, &[text]);
        let checked = check("C:\\Users\\anna\\lekplats.PNG", &sent).expect("a picture");
        assert_eq!(checked.kind, AttachmentKind::Png);
        assert_eq!(checked.name, "lekplats.png");
        assert_eq!(checked.bytes, png_of(1, &[]));
        assert!(!checked.bytes.windows(9).any(|w| w == b"Storgatan"));
    }

    #[test]
    fn a_png_cut_short_or_with_a_wrong_checksum_or_too_wide_is_refused() {
        let whole = png_of(1, &[]);
        assert_eq!(
            check("a.png", &whole[..whole.len() - 15]),
            Err(AttachmentProblem::Broken("a chunk runs past the end"))
        );
        let mut wrong = whole.clone();
        wrong[20] ^= 1;
        assert_eq!(
            check("a.png", &wrong),
            Err(AttachmentProblem::Broken("a chunk's checksum is wrong"))
        );
        assert_eq!(
            check("a.png", &png_of(MAX_PIXELS_SIDE + 1, &[])),
            Err(AttachmentProblem::TooManyPixels)
        );
    }

    fn segment(marker: u8, data: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&(u16::try_from(data.len() + 2).expect("small")).to_be_bytes());
        s.extend_from_slice(data);
        s
    }

    fn exif_little_endian(orientation: u16, gps: &[u8]) -> Vec<u8> {
        let mut d = b"Exif\0\0II\x2a\0\x08\0\0\0".to_vec();
        d.extend_from_slice(&1u16.to_le_bytes());
        d.extend_from_slice(&0x0112u16.to_le_bytes());
        d.extend_from_slice(&3u16.to_le_bytes());
        d.extend_from_slice(&1u32.to_le_bytes());
        d.extend_from_slice(&orientation.to_le_bytes());
        d.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        d.extend_from_slice(gps);
        d
    }

    fn jpeg_of(app: &[Vec<u8>], after_end: &[u8]) -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        j.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        for a in app {
            j.extend_from_slice(a);
        }
        j.extend(segment(0xC0, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]));
        j.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        j.extend_from_slice(&[0xFF, 0xD9]);
        j.extend_from_slice(after_end);
        j
    }

    #[test]
    fn a_photo_keeps_its_orientation_and_loses_where_it_was_taken() {
        let exif = segment(0xE1, &exif_little_endian(6, b"GPS 59.33N 18.06E"));
        let comment = segment(0xFE, b"taken at home");
        let sent = jpeg_of(&[exif, comment], b"appended video");
        let checked = check("IMG_0001.jpeg", &sent).expect("a photo");
        assert_eq!(checked.name, "IMG_0001.jpg");
        let kept = &checked.bytes;
        assert!(!kept.windows(3).any(|w| w == b"GPS"));
        assert!(!kept.windows(4).any(|w| w == b"home"));
        assert!(kept.ends_with(&[0x56, 0xFF, 0xD9]));
        let app1 = kept
            .windows(2)
            .position(|w| w == [0xFF, 0xE1])
            .expect("an EXIF block");
        assert_eq!(exif_orientation(&kept[app1 + 4..]), Some(6));
        // A photo without EXIF gets none.
        let plain = check("a.jpg", &jpeg_of(&[], b"")).expect("a photo");
        assert!(!plain.bytes.windows(2).any(|w| w == [0xFF, 0xE1]));
    }

    #[test]
    fn a_kept_jpeg_checks_again_the_same_even_when_its_end_hid_in_a_scan_header() {
        // Found by the fuzz target: an end-of-image marker inside the scan's header once cut
        // the header short, so the kept file no longer read.
        let found: &[u8] = &[
            0xff, 0xd8, 0xff, 0xc6, 0x00, 0x1c, 0x47, 0x2d, 0x31, 0x2e, 0x73, 0x69, 0x96, 0xe6,
            0x68, 0x81, 0xb6, 0xd3, 0xff, 0x09, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xda, 0x00, 0x1c, 0x0c, 0x0c, 0x0c, 0x69, 0x96, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xd9, 0xf1, 0x6e, 0x47, 0x20, 0x00, 0x95,
        ];
        match check("a.jpg", found) {
            Ok(kept) => assert_eq!(check("a.jpg", &kept.bytes), Ok(kept)),
            Err(e) => assert_eq!(e, AttachmentProblem::Broken("no end-of-image marker")),
        }
        let whole = jpeg_of(&[], b"");
        let kept = check("a.jpg", &whole).expect("a photo");
        assert_eq!(check("a.jpg", &kept.bytes), Ok(kept));
    }

    #[test]
    fn a_jpeg_without_its_end_or_frame_is_refused() {
        let whole = jpeg_of(&[], b"");
        assert_eq!(
            check("a.jpg", &whole[..whole.len() - 2]),
            Err(AttachmentProblem::Broken("no end-of-image marker"))
        );
        assert_eq!(
            check("a.jpg", &whole[..30]),
            Err(AttachmentProblem::Broken("a segment runs past the end"))
        );
    }

    #[test]
    fn a_pdf_with_script_even_spelled_in_escapes_is_refused() {
        let plain = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n%%EOF\n";
        assert_eq!(
            check("plan.pdf", plain).map(|c| c.kind),
            Ok(AttachmentKind::Pdf)
        );
        let script =
            b"%PDF-1.7\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\n%%EOF";
        assert_eq!(
            check("a.pdf", script),
            Err(AttachmentProblem::ActivePdf("JavaScript"))
        );
        let escaped = b"%PDF-1.7\n<< /S /J#61vaScript >>\n%%EOF";
        assert_eq!(
            check("a.pdf", escaped),
            Err(AttachmentProblem::ActivePdf("JavaScript"))
        );
        // A longer name that starts like one is not one.
        let jsx = b"%PDF-1.7\n<< /JSX 1 /Launcher 2 >>\n%%EOF";
        assert!(check("a.pdf", jsx).is_ok());
        assert_eq!(
            check("a.pdf", b"%PDF-1.7\nno end"),
            Err(AttachmentProblem::Broken("no %%EOF at the end"))
        );
    }

    #[test]
    fn other_files_and_empty_or_large_ones_are_refused() {
        assert_eq!(
            check("a.exe", b"MZ\x90\0"),
            Err(AttachmentProblem::UnknownKind)
        );
        assert_eq!(
            check("a.html", b"<html><script>"),
            Err(AttachmentProblem::UnknownKind)
        );
        assert_eq!(check("a.pdf", b""), Err(AttachmentProblem::Empty));
        let mut big = b"%PDF-1.7\n".to_vec();
        big.resize(MAX_FILE_BYTES + 1, b' ');
        assert_eq!(check("a.pdf", &big), Err(AttachmentProblem::TooLarge));
        assert_eq!(
            safe_name("../../\"x\r\n.pdf", AttachmentKind::Pdf),
            "_x__.pdf"
        );
        assert_eq!(safe_name(".pdf", AttachmentKind::Pdf), "_pdf.pdf");
        assert_eq!(safe_name("", AttachmentKind::Png), "bilaga.png");
    }
}
