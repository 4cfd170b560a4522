//! Channels: families of sites with one survival class. Each channel lives
//! in a file of its own and implements the crate-private `Channel` trait; the tag and trace
//! pipelines know channels only through this trait and [`ChannelId`].

pub(crate) mod blank_lines;
pub(crate) mod item_order;

use crate::code::prf::{Locator, Prf};
use crate::span::Edit;
use crate::syntax::{ErrorExtent, Index, Parsed};

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
    /// The relative order of two neighbouring items that may stand in
    /// either order.
    ItemOrder = 2,
}

impl ChannelId {
    /// Every channel. Channels that move code come first: they register
    /// the stable identities the others hash.
    pub const ALL: [ChannelId; 2] = [ChannelId::ItemOrder, ChannelId::BlankLines];

    /// Stable name, used in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            ChannelId::BlankLines => "blank-lines",
            ChannelId::ItemOrder => "item-order",
        }
    }

    /// The survival class.
    pub fn survival(self) -> Survival {
        match self {
            ChannelId::BlankLines | ChannelId::ItemOrder => Survival::FormatterStable,
        }
    }

    pub(crate) fn channel(self) -> &'static dyn Channel {
        match self {
            ChannelId::BlankLines => &blank_lines::BlankLines,
            ChannelId::ItemOrder => &item_order::ItemOrder,
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
    /// For a flip that moves code: which two sibling extents trade places
    /// (the verifier checks the result is exactly that permutation).
    pub(crate) swap: Option<Swap>,
}

/// Two neighbouring sibling extents of one parent that trade places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Swap {
    /// The parent node's id in the tree the site was found in.
    pub parent: usize,
    /// Byte range of the first extent.
    pub first: (usize, usize),
    /// Byte range of the second extent (after the first).
    pub second: (usize, usize),
}

/// Why a channel leaves something in place (`inspect`'s refusal log).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    /// 1-based line of the item, pair or body concerned.
    pub line: usize,
    /// What was refused, and why.
    pub reason: String,
}

/// A family of sites.
pub(crate) trait Channel: Sync {
    /// Whether a tagged copy must show value 1 at as many sites of each class
    /// as the original did (so a reader sees the author's density).
    fn preserves_density(&self) -> bool;

    /// Append every site of the file to `out`, in byte order. A channel
    /// whose flips move code registers in `units` an identity for every
    /// node whose content or neighbours its flips can change (a moved item,
    /// a reordered list); channels that hash a site's neighbours use that
    /// identity for such a node instead of its tokens, so every site is the
    /// same whichever way the moves went, and all channels are planned and
    /// applied together in one pass over one parse.
    fn sites(
        &self,
        parsed: &Parsed<'_>,
        index: &Index<'_>,
        prf: &Prf,
        units: &mut Units,
        out: &mut Vec<Site>,
    );

    /// Append why the channel leaves things in place.
    #[allow(clippy::unused_self)]
    fn refusals(
        &self,
        _parsed: &Parsed<'_>,
        _index: &Index<'_>,
        _prf: &Prf,
        _out: &mut Vec<Refusal>,
    ) {
    }
}

/// Stable identities of the nodes that moves can change (see
/// `Channel::sites`), by node id.
#[derive(Debug, Default)]
pub(crate) struct Units {
    by_node: std::collections::HashMap<usize, Locator>,
    /// Memo of items' content identities, by node id (containers hash
    /// their members', so each is computed once per file).
    pub(crate) ids: std::collections::HashMap<usize, Locator>,
}

impl Units {
    /// Give `node` the identity `id`.
    pub(crate) fn register(&mut self, node: tree_sitter::Node<'_>, id: Locator) {
        self.by_node.insert(node.id(), id);
    }

    /// The identity registered for `node`, if any.
    pub(crate) fn get(&self, node: tree_sitter::Node<'_>) -> Option<Locator> {
        self.by_node.get(&node.id()).copied()
    }
}

/// Every site of a parsed file, over all channels (in [`ChannelId::ALL`]
/// order: channels that move code come first and register their units).
pub(crate) fn all_sites(parsed: &Parsed<'_>, index: &Index<'_>, prf: &Prf) -> Vec<Site> {
    let mut sites = Vec::new();
    let mut units = Units::default();
    for id in ChannelId::ALL {
        id.channel()
            .sites(parsed, index, prf, &mut units, &mut sites);
    }
    sites
}

/// The sites a tag may edit: in a file with syntax errors, those clear of
/// its [`Parsed::error_extents`] (a site touching one, even at its edge,
/// is left as it is; the tracer still reads it, as a position that shows
/// the original's value in every copy). All of them otherwise.
pub(crate) fn editable_sites(dirty: &[ErrorExtent], mut sites: Vec<Site>) -> Vec<Site> {
    if !dirty.is_empty() {
        sites.retain(|site| {
            let (start, end) = (site.flip.span.byte_start(), site.flip.span.byte_end());
            let (start, end) = match site.swap {
                Some(swap) => (start.min(swap.first.0), end.max(swap.second.1)),
                None => (start, end),
            };
            // The first extent ending at or after `start` is the only one
            // that can reach into [start, end].
            let i = dirty.partition_point(|e| e.end < start);
            dirty.get(i).is_none_or(|e| e.start > end)
        });
    }
    sites
}

/// Every channel's refusal log for a parsed file.
pub(crate) fn all_refusals(
    parsed: &Parsed<'_>,
    index: &Index<'_>,
    prf: &Prf,
) -> Vec<(ChannelId, Refusal)> {
    let mut out = Vec::new();
    for id in ChannelId::ALL {
        let mut refusals = Vec::new();
        id.channel().refusals(parsed, index, prf, &mut refusals);
        out.extend(refusals.into_iter().map(|r| (id, r)));
    }
    out
}
