//! Thumb sizes: which `?thumb=` values a file field honours and the geometry of each, as
//! PocketBase 0.40 does it. The pixels are the caller's business; this module only says which
//! size to resize to and which rectangle to keep, so the rules can be tested without images.
//!
//! Formats (`^(\d+)x(\d+)(t|b|f)?$`): `WxH` resizes to cover WxH and crops the centre, `WxHt`
//! and `WxHb` crop from the top and the bottom, `WxHf` fits inside WxH without cropping (never
//! enlarging), `Wx0` and `0xH` resize to that width or height keeping the aspect ratio. Only
//! `100x100` and the sizes in the field's `thumbs` option are honoured; any other value serves
//! the original file.

/// The size every image file field allows.
pub const DEFAULT_THUMB_SIZE: &str = "100x100";

/// Where a cropping thumb keeps its rectangle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThumbMode {
    /// `WxH`: resize to cover, crop the centre.
    Center,
    /// `WxHt`: resize to cover, crop from the top.
    Top,
    /// `WxHb`: resize to cover, crop from the bottom.
    Bottom,
    /// `WxHf`: fit inside, no crop.
    Fit,
}

/// A parsed thumb size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThumbSize {
    pub width: u32,
    pub height: u32,
    pub mode: ThumbMode,
}

/// What to do to an image to make a thumb: resize it to `resize`, then keep `crop`
/// (`x, y, width, height` in the resized image) when set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThumbPlan {
    pub resize: (u32, u32),
    pub crop: Option<(u32, u32, u32, u32)>,
}

impl ThumbSize {
    /// Parses `WxH`, `WxHt`, `WxHb`, `WxHf` (digits only); `None` for anything else.
    pub fn parse(text: &str) -> Option<ThumbSize> {
        let (width, rest) = text.split_once('x')?;
        let (height, mode) = match rest.as_bytes().last()? {
            b't' => (&rest[..rest.len() - 1], ThumbMode::Top),
            b'b' => (&rest[..rest.len() - 1], ThumbMode::Bottom),
            b'f' => (&rest[..rest.len() - 1], ThumbMode::Fit),
            _ => (rest, ThumbMode::Center),
        };
        Some(ThumbSize {
            width: parse_digits(width)?,
            height: parse_digits(height)?,
            mode,
        })
    }

    /// The geometry of this thumb for a `source_width`×`source_height` image; `None` when there
    /// is nothing to make (`0x0`, an empty image).
    pub fn plan(&self, source_width: u32, source_height: u32) -> Option<ThumbPlan> {
        if source_width == 0 || source_height == 0 || (self.width == 0 && self.height == 0) {
            return None;
        }
        let (width, height) = (self.width, self.height);
        if width == 0 || height == 0 {
            return Some(ThumbPlan {
                resize: keep_ratio(source_width, source_height, width, height),
                crop: None,
            });
        }
        let source_ratio = f64::from(source_width) / f64::from(source_height);
        let target_ratio = f64::from(width) / f64::from(height);
        if self.mode == ThumbMode::Fit {
            if source_width <= width && source_height <= height {
                return Some(ThumbPlan {
                    resize: (source_width, source_height),
                    crop: None,
                });
            }
            let resize = if source_ratio > target_ratio {
                (width, ((f64::from(width) / source_ratio) as u32).max(1))
            } else {
                (((f64::from(height) * source_ratio) as u32).max(1), height)
            };
            return Some(ThumbPlan { resize, crop: None });
        }
        if source_width == width && source_height == height {
            return Some(ThumbPlan {
                resize: (width, height),
                crop: None,
            });
        }
        let resize = if source_ratio < target_ratio {
            keep_ratio(source_width, source_height, width, 0)
        } else {
            keep_ratio(source_width, source_height, 0, height)
        };
        let crop_width = width.min(resize.0);
        let crop_height = height.min(resize.1);
        let x = (resize.0 - crop_width) / 2;
        let y = match self.mode {
            ThumbMode::Top => 0,
            ThumbMode::Bottom => resize.1 - crop_height,
            _ => (resize.1 - crop_height) / 2,
        };
        Some(ThumbPlan {
            resize,
            crop: Some((x, y, crop_width, crop_height)),
        })
    }
}

fn parse_digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The size after resizing to `width` or `height` (the other being 0) keeping the ratio,
/// rounded, at least 1.
fn keep_ratio(source_width: u32, source_height: u32, width: u32, height: u32) -> (u32, u32) {
    if width == 0 {
        let scaled = f64::from(height) * f64::from(source_width) / f64::from(source_height);
        ((scaled.round() as u32).max(1), height)
    } else {
        let scaled = f64::from(width) * f64::from(source_height) / f64::from(source_width);
        (width, (scaled.round() as u32).max(1))
    }
}

/// Whether `requested` is a thumb size a field with `thumbs` honours: `100x100` or one of its
/// sizes, and a size that parses.
pub fn is_allowed(requested: &str, thumbs: &[String]) -> bool {
    (requested == DEFAULT_THUMB_SIZE || thumbs.iter().any(|size| size == requested))
        && ThumbSize::parse(requested).is_some()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn plan(size: &str, width: u32, height: u32) -> ThumbPlan {
        ThumbSize::parse(size).unwrap().plan(width, height).unwrap()
    }

    #[test]
    fn parses_every_format() {
        assert_eq!(
            ThumbSize::parse("20x10t"),
            Some(ThumbSize {
                width: 20,
                height: 10,
                mode: ThumbMode::Top
            })
        );
        assert_eq!(ThumbSize::parse("0x20").unwrap().width, 0);
        assert_eq!(ThumbSize::parse("10x10f").unwrap().mode, ThumbMode::Fit);
        for bad in [
            "", "x", "10x", "x10", "10x10z", "a0x10", "-1x5", "10x10tt", "+1x1",
        ] {
            assert_eq!(ThumbSize::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn sizes_match_the_reference_server() {
        // A 300×200 image, as measured on PocketBase 0.40.6.
        assert_eq!(plan("100x100", 300, 200).crop, Some((25, 0, 100, 100)));
        assert_eq!(plan("100x100", 300, 200).resize, (150, 100));
        assert_eq!(plan("50x0", 300, 200).resize, (50, 33));
        assert_eq!(plan("0x50", 300, 200).resize, (75, 50));
        assert_eq!(plan("100x50f", 300, 200).resize, (75, 50));
        assert_eq!(plan("60x60t", 300, 200).crop, Some((15, 0, 60, 60)));
        assert_eq!(plan("60x60b", 200, 300).crop, Some((0, 30, 60, 60)));
        // The conformance suite's 40×30 image.
        assert_eq!(plan("0x20", 40, 30).resize, (27, 20));
        assert_eq!(plan("20x10t", 40, 30).crop, Some((0, 0, 20, 10)));
        // Fit never enlarges.
        assert_eq!(plan("500x500f", 300, 200).resize, (300, 200));
        assert_eq!(ThumbSize::parse("0x0").unwrap().plan(10, 10), None);
    }

    #[test]
    fn only_listed_sizes_are_allowed() {
        let thumbs = vec!["10x10".to_string(), "0x20".to_string()];
        assert!(is_allowed("100x100", &thumbs));
        assert!(is_allowed("0x20", &thumbs));
        assert!(!is_allowed("5x5", &thumbs));
        assert!(!is_allowed("abc", &["abc".to_string()]));
    }
}
