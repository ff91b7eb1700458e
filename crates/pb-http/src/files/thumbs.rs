//! Making a thumb: the original is decoded (first frame of an animation, EXIF orientation
//! applied), resized and cropped as [`pb_core::files::thumb`] plans it, encoded in the original's
//! format and stored beside it (`thumbs_<name>/<size>_<name>`), once; later requests serve the
//! stored thumb.
//!
//! Decoding is bounded (originals over [`MAX_SOURCE_BYTES`], images over [`MAX_DIMENSION`]
//! pixels a side or needing more than [`MAX_DECODE_BYTES`] are refused), and the caller makes
//! thumbs one at a time: a hostile image costs a refused thumb, never the server's memory. When
//! a thumb cannot be made the original is served, as PocketBase does.

use std::io::{Cursor, Read};

use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use pb_core::files::thumb::ThumbSize;
use pb_core::ports::{FileStore, NewFile};

/// Originals larger than this are not decoded.
pub const MAX_SOURCE_BYTES: u64 = 32 << 20;
/// Images wider or taller than this are not decoded.
const MAX_DIMENSION: u32 = 12_000;
/// The most a decoder may allocate.
const MAX_DECODE_BYTES: u64 = 256 << 20;
/// The quality of JPEG thumbs.
const JPEG_QUALITY: u8 = 90;

/// Makes the `size` thumb of the stored file `original_key` (of type `content_type`) and
/// stores it under `thumb_key`. `Err` says why it could not be made.
pub fn make_thumb(
    store: &dyn FileStore,
    original_key: &str,
    content_type: &str,
    size: &ThumbSize,
    thumb_key: &str,
    thumb_name: &str,
) -> Result<(), String> {
    let content = store
        .open(original_key, None)
        .map_err(|error| error.to_string())?
        .ok_or("the original is gone")?;
    if content.file.size > MAX_SOURCE_BYTES {
        return Err(format!("the original has {} bytes", content.file.size));
    }
    let mut bytes = Vec::with_capacity(content.file.size as usize);
    content
        .reader
        .take(MAX_SOURCE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|error| error.to_string())?;
    let encoded = render(&bytes, content_type, size)?;
    let new_file = NewFile {
        content_type,
        original_name: thumb_name,
    };
    store
        .put(thumb_key, &mut encoded.as_slice(), &new_file)
        .map_err(|error| error.to_string())
}

/// The encoded thumb of the image `bytes`.
pub fn render(bytes: &[u8], content_type: &str, size: &ThumbSize) -> Result<Vec<u8>, String> {
    let format = output_format(content_type).ok_or("not an image thumbs are made of")?;
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|error| error.to_string())?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|error| error.to_string())?;
    let orientation = decoder.orientation().map_err(|error| error.to_string())?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|error| error.to_string())?;
    image.apply_orientation(orientation);
    let plan = size
        .plan(image.width(), image.height())
        .ok_or("nothing to make at this size")?;
    let mut thumb = if plan.resize == (image.width(), image.height()) {
        image
    } else {
        image.resize_exact(plan.resize.0, plan.resize.1, FilterType::Triangle)
    };
    if let Some((x, y, width, height)) = plan.crop {
        thumb = thumb.crop_imm(x, y, width, height);
    }
    encode(thumb, format)
}

fn output_format(content_type: &str) -> Option<ImageFormat> {
    match pb_core::files::mime::essence(content_type).as_str() {
        "image/png" => Some(ImageFormat::Png),
        "image/jpeg" | "image/jpg" => Some(ImageFormat::Jpeg),
        "image/gif" => Some(ImageFormat::Gif),
        "image/webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

fn encode(image: DynamicImage, format: ImageFormat) -> Result<Vec<u8>, String> {
    let mut output = Cursor::new(Vec::new());
    let result = match format {
        ImageFormat::Jpeg => {
            let encoder =
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut output, JPEG_QUALITY);
            DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(encoder)
        }
        ImageFormat::Png => image.write_to(&mut output, ImageFormat::Png),
        other => DynamicImage::ImageRgba8(image.to_rgba8()).write_to(&mut output, other),
    };
    result.map_err(|error| error.to_string())?;
    Ok(output.into_inner())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn image_bytes(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let image = image::RgbaImage::from_fn(width, height, |x, y| {
            image::Rgba([(x * 5) as u8, (y * 7) as u8, 100, 255])
        });
        let mut output = Cursor::new(Vec::new());
        let image = DynamicImage::ImageRgba8(image);
        let image = if format == ImageFormat::Jpeg {
            DynamicImage::ImageRgb8(image.to_rgb8())
        } else {
            image
        };
        image.write_to(&mut output, format).unwrap();
        output.into_inner()
    }

    fn dimensions(bytes: &[u8]) -> (u32, u32) {
        let image = ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .unwrap()
            .decode()
            .unwrap();
        (image.width(), image.height())
    }

    #[test]
    fn thumbs_in_every_format_and_mode() {
        for (format, content_type) in [
            (ImageFormat::Png, "image/png"),
            (ImageFormat::Jpeg, "image/jpeg"),
            (ImageFormat::Gif, "image/gif"),
            (ImageFormat::WebP, "image/webp"),
        ] {
            let original = image_bytes(300, 200, format);
            for (size, expected) in [
                ("100x100", (100, 100)),
                ("50x0", (50, 33)),
                ("0x50", (75, 50)),
                ("100x50f", (75, 50)),
                ("60x60t", (60, 60)),
                ("60x60b", (60, 60)),
            ] {
                let thumb =
                    render(&original, content_type, &ThumbSize::parse(size).unwrap()).unwrap();
                assert_eq!(
                    ImageReader::new(Cursor::new(&thumb))
                        .with_guessed_format()
                        .unwrap()
                        .format(),
                    Some(format)
                );
                assert_eq!(dimensions(&thumb), expected, "{content_type} {size}");
            }
        }
    }

    #[test]
    fn broken_images_and_other_types_make_no_thumb() {
        let size = ThumbSize::parse("10x10").unwrap();
        assert!(render(b"\x89PNG\r\n\x1a\nnot really", "image/png", &size).is_err());
        assert!(render(b"hello", "text/plain", &size).is_err());
    }
}
