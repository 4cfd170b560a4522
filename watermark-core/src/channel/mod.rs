//! Channels: families of sites with one survival class. Each channel lives
//! in a file of its own and implements the crate-private `Channel` trait; the tag and trace
//! pipelines know channels only through this trait and [`ChannelId`].

pub(crate) mod blank_lines;

use crate::code::prf::{Locator, Prf};
use crate::span::Edit;
use crate::syntax::{Index, Parsed};

/// Which formatters and edits a channel's marks survive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Survival {
    /// Survives rustfmt / black / ruff format with default settings.
    FormatterStable,
    /// Survives only a byte-for-byte copy.
    VerbatimOnly,
    /// A visible signed notice.
    OvertSigned,
}

/// A channel's identifier. Its number is hashed into every locator of the
/// channel: never renumber a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChannelId {
    /// One blank line present or absent between two statements or items.
    BlankLines = 1,
}

impl ChannelId {
    /// Every channel.
    pub const ALL: [ChannelId; 1] = [ChannelId::BlankLines];

    /// Stable name, used in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            ChannelId::BlankLines => "blank-lines",
        }
    }

    /// The survival class.
    pub fn survival(self) -> Survival {
        match self {
            ChannelId::BlankLines => Survival::FormatterStable,
        }
    }

    pub(crate) fn channel(self) -> &'static dyn Channel {
        match self {
            ChannelId::BlankLines => &blank_lines::BlankLines,
        }
    }
}

/// A place with two equivalent renderings.
#[derive(Debug, Clone)]
pub struct Site {
    /// The channel the site belongs to.
    pub channel: ChannelId,
    /// The content-derived identity of the site.
    pub locator: Locator,
    /// Sites of one class in one file are balanced together when the channel
    /// preserves density (for example statements vs. items).
    pub class: u8,
    /// The value the code currently shows.
    pub value: bool,
    /// Where the site is (for reports; never part of the identity).
    pub byte_offset: usize,
    /// The edit that renders the other value.
    pub(crate) flip: Edit,
}

/// A family of sites.
pub(crate) trait Channel: Sync {
    /// Whether a tagged copy must show value 1 at as many sites of each class
    /// as the original did (so a reader sees the author's density).
    fn preserves_density(&self) -> bool;

    /// Append every site of the file to `out`, in byte order.
    fn sites(&self, parsed: &Parsed<'_>, index: &Index<'_>, prf: &Prf, out: &mut Vec<Site>);
}

/// Every site of a parsed file, over all channels.
pub(crate) fn all_sites(parsed: &Parsed<'_>, index: &Index<'_>, prf: &Prf) -> Vec<Site> {
    let mut sites = Vec::new();
    for id in ChannelId::ALL {
        id.channel().sites(parsed, index, prf, &mut sites);
    }
    sites
}
