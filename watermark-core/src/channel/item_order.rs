//! The item-order channel: the relative order of two neighbouring items
//! whose order provably does not matter (two methods of one `impl` block,
//! two functions of a Python module), which no common formatter changes.
//!
//! Encoding, in three steps that each look only at content:
//!
//! 1. A body's children split into *runs* of movable items separated by
//!    fixed *barriers*: any other statement, or an item that may not move
//!    (macro definitions, `use`, attributes or decorators outside an
//!    allowlist). Comments never split runs, so stripping them disturbs
//!    nothing; a pair with a free-standing comment between its items (a
//!    section header the author put there) just stays as it is.
//! 2. Each item gets a keyed *role* from its normalized content alone:
//!    pairable with probability 2/3, else an anchor that stays in place.
//!    Each maximal stretch of pairable items in a run is cut into
//!    neighbouring pairs from its start: (1, 2), (3, 4), ...
//! 3. A pair is a site whose locator hashes both items' content (in
//!    sorted order) and whose value is the order they stand in.
//!
//! Swapping the two items of a pair keeps every run, role and pair where
//! it was, so the tracer, and re-tagging a tagged file, find exactly the
//! same sites; an inserted, deleted or moved item disturbs only the pairs
//! of its own stretch; and items only ever trade places with a neighbour,
//! so the author's grouping survives. Each item moves with its attributes,
//! decorators and the comments directly above it.

use tree_sitter::Node;

use super::{Channel, ChannelId, Refusal, Site, Swap, Units};
use crate::code::prf::{Locator, Prf};
use crate::lang::OrderTable;
use crate::span::{ByteSpan, Edit};
use crate::syntax::{feed_tokens, head_tokens, token_window, Index, Parsed};

/// Tokens hashed from each end of an item for its identity.
const ITEM_WINDOW: usize = 16;

/// An item is pairable when its keyed rank is below this (9/10): anchors
/// confine the effect of an inserted or deleted item to its own stretch
/// (ten items on average). Measured on the public corpus: 2/3 gives too
/// few sites to trace mid-sized projects by this channel alone; with 9/10,
/// deleting one function per file keeps 82 % of the order positions (4/5:
/// 86 % of a sixth fewer positions, so fewer kept in all).
const PAIRABLE_BELOW: u64 = u64::MAX / 10 * 9;

pub(crate) struct ItemOrder;

impl Channel for ItemOrder {
    fn preserves_density(&self) -> bool {
        false
    }

    fn sites(
        &self,
        parsed: &Parsed<'_>,
        index: &Index<'_>,
        prf: &Prf,
        units: &mut Units,
        out: &mut Vec<Site>,
    ) {
        let mut found = Vec::new();
        for_each_group(parsed, index, |body, parent_refusal| {
            if parent_refusal.is_none() {
                let children = index.children(body);
                group_sites(
                    parsed,
                    prf,
                    body,
                    &children,
                    units,
                    &mut found,
                    &mut Vec::new(),
                );
            }
        });
        found.sort_by_key(|site: &Site| site.byte_offset);
        out.extend(found);
    }

    fn refusals(&self, parsed: &Parsed<'_>, index: &Index<'_>, prf: &Prf, out: &mut Vec<Refusal>) {
        for_each_group(parsed, index, |body, parent_refusal| match parent_refusal {
            Some(reason) => out.push(Refusal {
                line: body.start_position().row + 1,
                reason,
            }),
            None => group_sites(
                parsed,
                prf,
                body,
                &index.children(body),
                &mut Units::default(),
                &mut Vec::new(),
                out,
            ),
        });
    }
}

/// Call `f` on every body whose items the language lets us reorder, with
/// the reason the whole body is fixed, if it is.
fn for_each_group<'t>(
    parsed: &Parsed<'_>,
    index: &Index<'t>,
    mut f: impl FnMut(Node<'t>, Option<String>),
) {
    let order = &parsed.lang.table().order;
    // Bodies in preorder, so an outer group is known before its members.
    let mut groups: Vec<usize> = Vec::new();
    // Groups whose order is observable (refused as a whole).
    let mut fixed: Vec<usize> = Vec::new();
    // Containers in a group with a marker before them that may see their
    // order, by node id (one pass over each group's children).
    let mut outer_markers: std::collections::HashMap<usize, String> =
        std::collections::HashMap::new();
    for (&body, ancestors) in index.bodies.iter().zip(&index.ancestors) {
        let parent = ancestors.first().copied();
        let allowed = order.bodies.iter().any(|&(kind, parents)| {
            kind == body.kind()
                && (parents.is_empty() || parent.is_some_and(|p| parents.contains(&p.kind())))
        });
        // Only in the root or in a member of another group: never inside a
        // function, whose identity could then change with the order. The
        // body the parent item stands in is its own parent, or a few steps
        // up through a wrapper (a decorated definition).
        let enclosing = ancestors
            .iter()
            .skip(1)
            .find(|node| parsed.kinds.body.contains(node.kind_id()))
            .copied();
        let nested_in_group = match parent {
            None => true,
            Some(_) => enclosing.is_some_and(|b| groups.contains(&b.id())),
        };
        if !allowed || !nested_in_group {
            continue;
        }
        groups.push(body.id());
        // A macro or decorator that sees a body's order sees the order of
        // every body inside it too.
        let refusal = if enclosing.is_some_and(|b| fixed.contains(&b.id())) {
            Some("body fixed: it stands in a body whose order is observable".to_owned())
        } else {
            parent.and_then(|p| {
                let outer = outer_markers.get(&p.id()).map(String::as_str);
                order_sensitive_parent(parsed, p, body, outer)
            })
        };
        if refusal.is_some() {
            fixed.push(body.id());
        }
        note_outer_markers(parsed, &index.children(body), &mut outer_markers);
        f(body, refusal);
    }
}

/// Record, for each item of `body` preceded by a marker (an outer
/// attribute) that is not pure on a container, that marker's name.
fn note_outer_markers(
    parsed: &Parsed<'_>,
    children: &[Node<'_>],
    out: &mut std::collections::HashMap<usize, String>,
) {
    let order = &parsed.lang.table().order;
    let mut pending: Option<&str> = None;
    for &child in children {
        if parsed.kinds.marker.contains(child.kind_id()) {
            if pending.is_none() && !is_pure_container_marker(parsed, child) {
                pending = Some(marker_name(parsed, child));
            }
        } else if order.attached.contains(&child.kind()) || is_comment(parsed, child) {
        } else if let Some(name) = pending.take() {
            out.insert(child.id(), name.to_owned());
        }
    }
}

/// The name of the first marker written inside `body` that applies to its
/// container (a Rust inner attribute) and is not pure on a container.
fn impure_inner_marker<'t>(parsed: &Parsed<'t>, body: Node<'_>) -> Option<&'t str> {
    let order = &parsed.lang.table().order;
    let mut cursor = body.walk();
    let found = body
        .children(&mut cursor)
        .find(|inner| {
            order.inner_marker_kinds.contains(&inner.kind())
                && !is_pure_container_marker(parsed, *inner)
        })
        .map(|inner| marker_name(parsed, inner));
    found
}

fn is_pure_container_marker(parsed: &Parsed<'_>, marker: Node<'_>) -> bool {
    let order = &parsed.lang.table().order;
    is_pure_marker(order, parsed, marker)
        || order
            .pure_container_markers
            .contains(&marker_name(parsed, marker))
}

/// Whether `node`'s last line is a one-line definition with a `...` body
/// (a stub), per the language's `OrderTable::stub_lines`.
fn ends_in_stub(parsed: &Parsed<'_>, node: Node<'_>) -> bool {
    let Some((prefixes, suffix)) = parsed.lang.table().order.stub_lines else {
        return false;
    };
    let text = &parsed.text[node.start_byte()..node.end_byte()];
    let last = text
        .trim_end()
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .trim();
    last.ends_with(suffix) && prefixes.iter().any(|p| last.starts_with(p))
}

/// Why the bases of `class` may see definition order (the order of its
/// body, the order it is created in among its siblings), if they may.
fn base_verdict(parsed: &Parsed<'_>, class: Node<'_>) -> Option<String> {
    parsed.lang.table().order.class_bases?;
    base_verdict_with(parsed, class, class_verdicts(parsed))
}

/// [`base_verdict`] against the verdicts `known` of earlier classes.
fn base_verdict_with(
    parsed: &Parsed<'_>,
    class: Node<'_>,
    known: &std::collections::HashMap<String, Option<String>>,
) -> Option<String> {
    let order = &parsed.lang.table().order;
    let (class_kind, field) = order.class_bases?;
    if class.kind() != class_kind {
        return None;
    }
    let bases = class.child_by_field_name(field)?;
    let mut cursor = bases.walk();
    for base in bases.named_children(&mut cursor) {
        if is_comment(parsed, base) {
            continue;
        }
        let raw = &parsed.text[base.start_byte()..base.end_byte()];
        if base.kind() == "keyword_argument" {
            return Some(format!(
                "`{raw}` in the class header may see definition order"
            ));
        }
        let name: String = raw
            .split('[')
            .next()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let quiet = order
            .quiet_bases
            .iter()
            .any(|&q| match q.strip_prefix('*') {
                Some(suffix) => name.ends_with(suffix) && is_plain_dotted(&name),
                None => q == name,
            });
        if quiet {
            continue;
        }
        match known.get(&name) {
            Some(None) => {}
            Some(Some(reason)) => return Some(format!("base `{name}`: {reason}")),
            None => {
                return Some(format!(
                    "base `{name}` is not defined in this file and may see definition order \
                     (`__init_subclass__`, a metaclass)"
                ))
            }
        }
    }
    None
}

fn is_plain_dotted(name: &str) -> bool {
    name.split('.').all(is_plain_name)
}

/// See `Parsed::class_verdicts`: one pass over the module's classes in
/// order (a base is defined before its subclasses).
fn class_verdicts<'p>(
    parsed: &'p Parsed<'_>,
) -> &'p std::collections::HashMap<String, Option<String>> {
    parsed.class_verdicts.get_or_init(|| {
        let order = &parsed.lang.table().order;
        let mut verdicts = std::collections::HashMap::new();
        let Some((class_kind, _)) = order.class_bases else {
            return verdicts;
        };
        let root = parsed.tree.root_node();
        let mut cursor = root.walk();
        let classes: Vec<Node<'_>> = root
            .named_children(&mut cursor)
            .filter_map(|child| {
                let class = child.child_by_field_name("definition").unwrap_or(child);
                (class.kind() == class_kind).then_some(class)
            })
            .collect();
        // Filled in order, so `base_verdict` sees earlier classes only; it
        // reads the map through `parsed`, so build it in a local first.
        let mut local: std::collections::HashMap<String, Option<String>> =
            std::collections::HashMap::new();
        for class in classes {
            let Some(name) = class.child_by_field_name("name") else {
                continue;
            };
            let name = parsed.text[name.start_byte()..name.end_byte()].to_owned();
            let verdict = base_verdict_with(parsed, class, &local).or_else(|| {
                class_hook(parsed, class)
                    .map(|hook| format!("it defines `{hook}`, which sees its subclasses"))
            });
            local.insert(name, verdict);
        }
        verdicts.extend(local);
        verdicts
    })
}

/// The first subclass hook a class body defines.
fn class_hook<'t>(parsed: &Parsed<'t>, class: Node<'_>) -> Option<&'t str> {
    let order = &parsed.lang.table().order;
    let body = class.child_by_field_name("body")?;
    let mut cursor = body.walk();
    let hook = body.named_children(&mut cursor).find_map(|child| {
        let definition = child.child_by_field_name("definition").unwrap_or(child);
        let name = definition.child_by_field_name("name")?;
        let name = &parsed.text[name.start_byte()..name.end_byte()];
        order.subclass_hooks.contains(&name).then_some(name)
    });
    hook
}

/// Why a body's parent (a class) makes definition order observable: an
/// order-sensitive base, keyword or decorator.
fn order_sensitive_parent(
    parsed: &Parsed<'_>,
    parent: Node<'_>,
    body: Node<'_>,
    outer_marker: Option<&str>,
) -> Option<String> {
    let order = &parsed.lang.table().order;
    let text = parsed.text;
    // The header: the parent up to its body, plus the decorators of a
    // decorated parent.
    let header = [(parent.start_byte(), body.start_byte())];
    // Attributes on the container (before it, or inside its body) name
    // macros that receive its tokens: unless known to act on the
    // container alone, they may see the order of its items (a proc macro
    // that numbers them, registers them, exports them in order).
    if let Some(reason) = base_verdict(parsed, parent) {
        return Some(format!("body fixed: {reason}"));
    }
    if let Some(name) = outer_marker {
        return Some(format!(
            "body fixed: `{name}` on the container is a macro that may see its order"
        ));
    }
    if let Some(name) = impure_inner_marker(parsed, body) {
        return Some(format!(
            "body fixed: `{name}` inside the container is a macro that may see its order"
        ));
    }
    if let Some(outer) = parent
        .parent()
        .filter(|p| p.kind() == "decorated_definition")
    {
        let mut cursor = outer.walk();
        for marker in outer.children(&mut cursor) {
            if parsed.kinds.marker.contains(marker.kind_id())
                && !is_pure_marker(order, parsed, marker)
            {
                return Some(format!(
                    "body fixed: the definition is decorated with `{}`",
                    marker_name(parsed, marker)
                ));
            }
        }
    }
    if let Some(&(start, end)) = header
        .first()
        .filter(|_| !order.order_sensitive_parents.is_empty())
    {
        // Only the header's own subtrees: walking the whole parent would
        // visit every item of the body, once per enclosing body.
        let mut cursor = parent.walk();
        let header_parts: Vec<Node<'_>> = parent
            .children(&mut cursor)
            .take_while(|child| child.start_byte() < body.start_byte())
            .collect();
        let mut found = None;
        for part in header_parts {
            visit_identifiers(parsed, part, &mut cursor, &mut |node| {
                if found.is_none() && node.start_byte() >= start && node.end_byte() <= end {
                    let name = &text[node.start_byte()..node.end_byte()];
                    if order.order_sensitive_parents.contains(&name) {
                        found = Some(name.to_owned());
                    }
                }
            });
        }
        if let Some(name) = found {
            return Some(format!(
                "body fixed: `{name}` in the class header makes definition order observable"
            ));
        }
    }
    None
}

/// One entry of a body: a movable item or a barrier.
struct Item<'t> {
    node: Node<'t>,
    /// Extent: attached attributes and comments through the item's end.
    start: usize,
    end: usize,
    /// Content identity (keyed; equal for identical items).
    id: Locator,
    name: Option<&'t str>,
    /// Identifiers run at definition time (languages where that exists).
    refs: Vec<&'t str>,
    /// What the extent's first line is: 0 comment, 1 marker, 2 the item.
    lead: u8,
    /// A comment follows on the item's last line (it would stay behind).
    trailing_comment: bool,
    /// The sibling nodes of the extent: attached attributes and comments,
    /// then the item.
    parts: Vec<Node<'t>>,
}

enum Entry<'t> {
    Item(Item<'t>),
    /// A fixed sibling (its node, if it is one) or the body's edge.
    Barrier(Option<Node<'t>>),
}

/// The sites of one body (appended to `sites`) and why the rest is fixed
/// (appended to `refusals`).
fn group_sites<'t>(
    parsed: &Parsed<'t>,
    prf: &Prf,
    body: Node<'t>,
    children: &[Node<'t>],
    units: &mut Units,
    sites: &mut Vec<Site>,
    refusals: &mut Vec<Refusal>,
) {
    let entries = entries(parsed, prf, children, units, refusals);
    // Containers, movable or not, are identified by what does not move
    // inside them.
    for &child in children.iter().filter(|c| c.is_named()) {
        if container_body(parsed, child).is_some() {
            let id = stable_id(parsed, prf, child, 0, units);
            units.register(child, id);
        }
    }
    // Entries that end in a stub (`def f(): ...`): black lays out the
    // blank lines next to those by rules of its own, so nothing moves next
    // to one. Content only, and a pair that swaps holds none, so the
    // tracer finds the same pairs.
    let stub: Vec<bool> = entries
        .iter()
        .map(|entry| match entry {
            Entry::Item(item) => ends_in_stub(parsed, item.node),
            Entry::Barrier(node) => node.is_some_and(|n| ends_in_stub(parsed, n)),
        })
        .collect();
    let near_stub =
        |first: usize| (first.saturating_sub(1)..(first + 3).min(stub.len())).any(|i| stub[i]);
    // An item whose last line ends in a comment: rustfmt aligns comment
    // lines that follow it under that comment, so no pair right after it
    // may bring a comment-led item up to it (or take one away). Content
    // only, and symmetric in the pair, so the tracer finds the same pairs.
    let after_trailing_comment = |first: usize, a: &Item<'_>, b: &Item<'_>| {
        let before = first.checked_sub(1).and_then(|i| entries.get(i));
        matches!(before, Some(Entry::Item(prev)) if prev.trailing_comment)
            && (a.lead == 0 || b.lead == 0)
    };
    // Runs of items between barriers; stretches of pairable items in a run;
    // pairs from the start of each stretch.
    let mut stretch: Vec<usize> = Vec::new();
    let flush = |stretch: &mut Vec<usize>,
                 units: &mut Units,
                 sites: &mut Vec<Site>,
                 refusals: &mut Vec<Refusal>| {
        for pair in stretch.chunks_exact(2) {
            let (Entry::Item(a), Entry::Item(b)) = (&entries[pair[0]], &entries[pair[1]]) else {
                continue;
            };
            let site = if near_stub(pair[0]) {
                Err("pair fixed: next to a stub (`...`), where black spaces lines by rules of its own".to_owned())
            } else if after_trailing_comment(pair[0], a, b) {
                Err(
                    "pair fixed: the item before it ends in a trailing comment, under which \
                     rustfmt would align a comment moved up to it"
                        .to_owned(),
                )
            } else {
                pair_site(parsed, prf, body, a, b)
            };
            match site {
                Ok(site) => {
                    // Every node of both extents stands for the pair: by
                    // the pair's locator, or, for two items that look the
                    // same, by their shared identity (their locator hashes
                    // their names, which blank-line sites must not see).
                    let unit = if a.id == b.id { a.id } else { site.locator };
                    for item in [a, b] {
                        for &node in &item.parts {
                            units.register(node, unit);
                        }
                    }
                    sites.push(site);
                }
                Err(reason) => refusals.push(Refusal {
                    line: a.node.start_position().row + 1,
                    reason,
                }),
            }
        }
        stretch.clear();
    };
    for (i, entry) in entries.iter().enumerate() {
        match entry {
            Entry::Item(item) if prf.rank(item.id) < PAIRABLE_BELOW => stretch.push(i),
            _ => flush(&mut stretch, units, sites, refusals),
        }
    }
    flush(&mut stretch, units, sites, refusals);
    if !parsed.lang.table().order.unordered_marker_lists.is_empty() {
        marker_list_sites(parsed, prf, children, units, sites);
    }
}

/// Sites in the argument lists of markers whose entries may stand in any
/// order (`#[derive(Debug, Clone)]`): the same stretches and pairs as for
/// items, over the list's entries. A pair's locator also hashes the
/// identity of the item the marker belongs to, so equal lists on different
/// items are different positions.
fn marker_list_sites(
    parsed: &Parsed<'_>,
    prf: &Prf,
    children: &[Node<'_>],
    units: &mut Units,
    sites: &mut Vec<Site>,
) {
    let order = &parsed.lang.table().order;
    let text = parsed.text;
    let children: Vec<Node<'_>> = children.iter().copied().filter(|c| c.is_named()).collect();
    for (i, &marker) in children.iter().enumerate() {
        if !parsed.kinds.marker.contains(marker.kind_id()) {
            continue;
        }
        let name = marker_name(parsed, marker);
        let Some(&(_, allowed)) = order
            .unordered_marker_lists
            .iter()
            .find(|(n, _)| *n == name)
        else {
            continue;
        };
        // The item the marker belongs to: the next sibling that is neither
        // a marker nor a comment.
        let Some(item) = children[i + 1..]
            .iter()
            .find(|n| !order.attached.contains(&n.kind()) && !is_comment(parsed, **n))
        else {
            continue;
        };
        let mut context = prf.locator_hasher();
        context.update(&[ChannelId::ItemOrder as u8, 2]);
        context.update(&stable_id(parsed, prf, *item, 0, units).0);
        let context = context.finish();
        let Some(list) = list_node(marker) else {
            continue;
        };
        // The marker's tokens change with the list's order; unless it
        // already stands for a moved pair, its identity is the item's.
        if units.get(marker).is_none() {
            units.register(marker, context);
        }
        // Entries: single names between commas; anything else is fixed.
        let mut entries: Vec<Option<Node<'_>>> = Vec::new();
        let mut current: Vec<Node<'_>> = Vec::new();
        let mut list_cursor = list.walk();
        for token in list.children(&mut list_cursor) {
            match token.kind() {
                "(" | ")" => {}
                "," => {
                    entries.push(single_allowed(text, &current, allowed));
                    current.clear();
                }
                _ => current.push(token),
            }
        }
        if !current.is_empty() {
            entries.push(single_allowed(text, &current, allowed));
        }
        let entry_id = |node: Node<'_>| {
            let mut hasher = prf.locator_hasher();
            hasher
                .update(&context.0)
                .update(&text.as_bytes()[node.start_byte()..node.end_byte()]);
            hasher.finish()
        };
        let mut stretch: Vec<Node<'_>> = Vec::new();
        let mut flush = |stretch: &mut Vec<Node<'_>>| {
            for pair in stretch.chunks_exact(2) {
                let (a, b) = (pair[0], pair[1]);
                let (name_a, name_b) = (
                    &text[a.start_byte()..a.end_byte()],
                    &text[b.start_byte()..b.end_byte()],
                );
                if name_a == name_b {
                    continue;
                }
                let (low, high) = if name_a < name_b {
                    (name_a, name_b)
                } else {
                    (name_b, name_a)
                };
                let mut hasher = prf.locator_hasher();
                hasher
                    .update(&[ChannelId::ItemOrder as u8, 3])
                    .update(&context.0);
                hasher
                    .update(low.as_bytes())
                    .update(&[0])
                    .update(high.as_bytes());
                let mut replacement = String::new();
                replacement.push_str(name_b);
                replacement.push_str(&text[a.end_byte()..b.start_byte()]);
                replacement.push_str(name_a);
                let Some(span) = ByteSpan::new(a.start_byte(), b.end_byte()) else {
                    continue;
                };
                sites.push(Site {
                    channel: ChannelId::ItemOrder,
                    locator: hasher.finish(),
                    class: 1,
                    value: name_a > name_b,
                    byte_offset: a.start_byte(),
                    flip: Edit { span, replacement },
                    swap: Some(Swap {
                        parent: list.id(),
                        first: (a.start_byte(), a.end_byte()),
                        second: (b.start_byte(), b.end_byte()),
                    }),
                });
            }
            stretch.clear();
        };
        for entry in entries {
            match entry {
                Some(node) if prf.rank(entry_id(node)) < PAIRABLE_BELOW => stretch.push(node),
                _ => flush(&mut stretch),
            }
        }
        flush(&mut stretch);
    }
}

/// The argument token list of a marker: `(Debug, Clone)` in
/// `#[derive(Debug, Clone)]`.
fn list_node(marker: Node<'_>) -> Option<Node<'_>> {
    let attribute = marker.named_child(0)?;
    let arguments = attribute.child_by_field_name("arguments")?;
    (arguments.kind() == "token_tree").then_some(arguments)
}

/// The entry's node when it is one allowed name.
fn single_allowed<'t>(text: &str, tokens: &[Node<'t>], allowed: &[&str]) -> Option<Node<'t>> {
    match tokens {
        [one] if allowed.contains(&&text[one.start_byte()..one.end_byte()]) => Some(*one),
        _ => None,
    }
}

/// Split a body into items and barriers.
fn entries<'t>(
    parsed: &Parsed<'t>,
    prf: &Prf,
    children: &[Node<'t>],
    units: &mut Units,
    refusals: &mut Vec<Refusal>,
) -> Vec<Entry<'t>> {
    let order = &parsed.lang.table().order;
    let kinds = parsed.kinds;
    let mut out: Vec<Entry<'t>> = Vec::new();
    let mut pending: Vec<Node<'t>> = Vec::new();
    for &child in children {
        let kind = child.kind();
        if kinds.comment.contains(child.kind_id()) {
            // A comment on the line where the previous item ends is that
            // item's trailing comment: formatters align what follows under
            // it, so the item stays.
            if let Some(Entry::Item(prev)) = out.last_mut() {
                if pending.is_empty() && prev.node.end_position().row == child.start_position().row
                {
                    prev.trailing_comment = true;
                    continue;
                }
            }
            pending.push(child);
            continue;
        }
        if order.attached.contains(&kind) {
            pending.push(child);
            continue;
        }
        if !child.is_named() {
            // Braces of a declaration list.
            pending.clear();
            out.push(Entry::Barrier(None));
            continue;
        }
        // Which pending siblings attach to this item: attributes always,
        // comments when directly above at the item's column; a free
        // comment before them is a section header and a barrier.
        let column = child.start_position().column;
        let mut first_attached = pending.len();
        let mut next_start = child.start_position().row;
        while first_attached > 0 {
            let node = pending[first_attached - 1];
            let is_attr = order.attached.contains(&node.kind());
            let adjacent =
                node.end_position().row + 1 >= next_start && node.start_position().column == column;
            if !(is_attr || adjacent) {
                break;
            }
            first_attached -= 1;
            next_start = node.start_position().row;
        }
        let free = &pending[..first_attached];
        let attached = &pending[first_attached..];
        let item = classify(parsed, prf, child, attached, free, units);
        match item {
            Ok(item) => out.push(Entry::Item(item)),
            Err(reason) => {
                refusals.push(Refusal {
                    line: child.start_position().row + 1,
                    reason,
                });
                out.push(Entry::Barrier(Some(child)));
            }
        }
        pending.clear();
    }
    out
}

/// An item that may move, or why it may not.
fn classify<'t>(
    parsed: &Parsed<'t>,
    prf: &Prf,
    node: Node<'t>,
    attached: &[Node<'t>],
    free: &[Node<'t>],
    units: &mut Units,
) -> Result<Item<'t>, String> {
    let directives = parsed.lang.table().formatter_directives;
    let order = &parsed.lang.table().order;
    let text = parsed.text;
    let kind = node.kind();
    if !order.items.contains(&kind) {
        return Err(format!("fixed: `{kind}` never moves"));
    }
    if node.has_error() {
        return Err("fixed: syntax error".to_owned());
    }
    if order.items_needing_body.contains(&kind) && node.child_by_field_name("body").is_none() {
        return Err(format!("fixed: `{kind}` without a body"));
    }
    if free.iter().any(|n| order.attached.contains(&n.kind())) {
        return Err("fixed: a comment stands between the item and its attributes".to_owned());
    }
    for &marker in attached {
        if is_comment(parsed, marker) {
            continue;
        }
        if parsed.kinds.marker.contains(marker.kind_id()) && !is_pure_marker(order, parsed, marker)
        {
            return Err(format!(
                "fixed: marked `{}`, which may depend on item order",
                marker_name(parsed, marker)
            ));
        }
    }
    let mut markers = Vec::new();
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if parsed.kinds.marker.contains(child.kind_id()) {
            markers.push(child);
        }
    }
    for marker in markers {
        if !is_pure_marker(order, parsed, marker) {
            return Err(format!(
                "fixed: decorated `{}`, which may depend on definition order",
                marker_name(parsed, marker)
            ));
        }
    }
    for &comment in attached.iter().filter(|&&n| is_comment(parsed, n)) {
        let body = &text[comment.start_byte()..comment.end_byte()];
        if order
            .fixed_comment_prefixes
            .iter()
            .any(|p| body.starts_with(p))
        {
            return Err("fixed: an inner doc comment must stay first".to_owned());
        }
    }
    let start = attached
        .first()
        .map_or(node.start_byte(), |n| n.start_byte());
    let end = node.end_byte();
    let extent = &text[start..end];
    if directives.iter().any(|d| extent.contains(d)) {
        return Err("fixed: it carries a formatter directive".to_owned());
    }
    if order.one_liners_fixed && node.start_position().row == node.end_position().row {
        return Err(
            "fixed: a one-line definition (formatters space those apart by rules of their own)"
                .to_owned(),
        );
    }
    if let Some(name) = container_body(parsed, node).and_then(|b| impure_inner_marker(parsed, b)) {
        return Err(format!(
            "fixed: `{name}` inside it may depend on item order"
        ));
    }
    let definition = node.child_by_field_name("definition").unwrap_or(node);
    if let Some(reason) = base_verdict(parsed, definition) {
        return Err(format!(
            "fixed: {reason}; the order classes are created in is seen"
        ));
    }
    let (call, refs) = if order.definition_time_code {
        definition_time(parsed, node)
    } else {
        (None, Vec::new())
    };
    if let Some(call) = call {
        let call_text = &text[call.start_byte()..call.end_byte()];
        let callee = call_text.split('(').next().unwrap_or_default().trim();
        return Err(format!(
            "fixed: it calls `{callee}(..)` when defined, which may have effects or need \
             names defined later"
        ));
    }
    let name = definition
        .child_by_field_name("name")
        .map(|n| &text[n.start_byte()..n.end_byte()]);
    let lead = match attached.first() {
        Some(&n) if is_comment(parsed, n) => 0,
        Some(_) => 1,
        None if definition.id() != node.id() => 1,
        None => 2,
    };
    let id = stable_id(parsed, prf, node, 0, units);
    Ok(Item {
        node,
        start,
        end,
        id,
        name,
        refs,
        lead,
        trailing_comment: false,
        parts: attached.iter().copied().chain([node]).collect(),
    })
}

/// An item's identity, from its content alone and unchanged by any move
/// this channel makes: for a container (impl block, module, class) its
/// header and the set of its members' identities, which trading places
/// inside it does not change; for anything else its token window.
/// Identifiers count by order of appearance, so a consistent renaming
/// keeps every identity.
fn stable_id(
    parsed: &Parsed<'_>,
    prf: &Prf,
    node: Node<'_>,
    depth: usize,
    units: &mut Units,
) -> Locator {
    if let Some(&id) = units.ids.get(&node.id()) {
        return id;
    }
    let mut hasher = prf.locator_hasher();
    hasher.update(&[ChannelId::ItemOrder as u8, 0]);
    hasher.update(node.kind().as_bytes());
    match container_body(parsed, node).filter(|_| depth < MAX_CONTAINER_DEPTH) {
        Some(body) => {
            feed_tokens(
                &head_tokens(parsed, node, 2 * ITEM_WINDOW, body),
                &mut Vec::new(),
                &mut hasher,
            );
            let order = &parsed.lang.table().order;
            let mut members = Vec::new();
            let mut cursor = body.walk();
            for member in body.named_children(&mut cursor) {
                // Attributes can change (a derive list's order).
                if is_comment(parsed, member) || order.attached.contains(&member.kind()) {
                    continue;
                }
                members.push(stable_id(parsed, prf, member, depth + 1, units));
            }
            members.sort_unstable();
            for member in members {
                hasher.update(&member.0);
            }
        }
        None => feed_tokens(
            &token_window(parsed, node, ITEM_WINDOW),
            &mut Vec::new(),
            &mut hasher,
        ),
    }
    let id = hasher.finish();
    units.ids.insert(node.id(), id);
    id
}

/// Containers nested deeper than this are identified by their tokens
/// (bounded recursion on adversarial nesting).
const MAX_CONTAINER_DEPTH: usize = 16;

/// The body of items of a container (impl block, module, class).
fn container_body<'t>(parsed: &Parsed<'_>, node: Node<'t>) -> Option<Node<'t>> {
    let definition = node.child_by_field_name("definition").unwrap_or(node);
    if !parsed
        .lang
        .table()
        .order
        .containers
        .contains(&definition.kind())
    {
        return None;
    }
    definition.child_by_field_name("body")
}

fn is_comment(parsed: &Parsed<'_>, node: Node<'_>) -> bool {
    parsed.kinds.comment.contains(node.kind_id())
}

/// Whether two Python names may bind the same thing. Python reads
/// identifiers in NFKC form (`ﬁx` is `fix`), and inside a class `__x` is
/// stored as `_Class__x`: names are compared as written only when both are
/// ASCII and neither can be the other mangled.
fn may_alias(a: &str, b: &str) -> bool {
    let mangles_to = |private: &str, other: &str| {
        private.starts_with("__")
            && !private.ends_with("__")
            && other.starts_with('_')
            && other.len() > private.len() + 1
            && other.ends_with(private)
    };
    a == b || !a.is_ascii() || !b.is_ascii() || mangles_to(a, b) || mangles_to(b, a)
}

/// The site of a pair, or why the pair may not trade places.
fn pair_site(
    parsed: &Parsed<'_>,
    prf: &Prf,
    body: Node<'_>,
    a: &Item<'_>,
    b: &Item<'_>,
) -> Result<Site, String> {
    let text = parsed.text;
    let describe = |item: &Item<'_>| {
        item.name
            .map_or_else(|| item.node.kind().to_owned(), |n| format!("`{n}`"))
    };
    let runtime_names = parsed.lang.table().order.definition_time_code;
    if let (Some(name_a), Some(name_b), true) = (a.name, b.name, runtime_names) {
        if name_a == name_b {
            return Err(format!(
                "pair fixed: two definitions of {} (the later one wins)",
                describe(a)
            ));
        }
        if may_alias(name_a, name_b) {
            return Err(format!(
                "pair fixed: {} and {} may define one name (Python normalizes and \
                 mangles names; the later one wins)",
                describe(a),
                describe(b)
            ));
        }
    }
    // Which of the two comes first is read from their identities, or, for
    // items that look the same (identities ignore names, to survive a
    // renaming), from their names: renaming one of them moves the site to
    // another locator (it hashes the names). Exchanging the two names
    // flips it, as exchanging the two items would.
    let (key_a, key_b, named) = match (a.name, b.name) {
        _ if a.id != b.id => (a.id, b.id, None),
        // Different names (`may_alias` vetted them above for Python).
        (Some(name_a), Some(name_b)) if name_a != name_b => {
            let key = |name: &str| {
                let mut hasher = prf.locator_hasher();
                hasher.update(&[ChannelId::ItemOrder as u8, 3]);
                hasher.update(name.as_bytes());
                hasher.finish()
            };
            (key(name_a), key(name_b), Some(a.id))
        }
        _ => {
            return Err(format!(
                "pair fixed: {} and {} look the same",
                describe(a),
                describe(b)
            ))
        }
    };
    if let (Some(name_a), Some(name_b)) = (a.name, b.name) {
        let refers = |refs: &[&str], name: &str| refs.iter().any(|r| may_alias(r, name));
        if refers(&a.refs, name_b) || refers(&b.refs, name_a) {
            return Err(format!(
                "pair fixed: {} and {} refer to each other at definition time",
                describe(a),
                describe(b)
            ));
        }
    }
    if b.trailing_comment {
        return Err(format!(
            "pair fixed: {} has a trailing comment, which would stay behind",
            describe(b)
        ));
    }
    if parsed.lang.table().order.same_lead && a.lead != b.lead {
        return Err(format!(
            "pair fixed: {} and {} start differently (comment / decorator / keyword)",
            describe(a),
            describe(b)
        ));
    }
    let gap = &text[a.end..b.start];
    let column = |offset: usize| offset - text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_start_blank = |offset: usize| {
        text[offset - column(offset)..offset]
            .bytes()
            .all(|c| c == b' ' || c == b'\t')
    };
    if !gap.contains('\n')
        || !gap.bytes().all(|c| c.is_ascii_whitespace())
        || column(a.start) != column(b.start)
        || !line_start_blank(a.start)
    {
        return Err(format!(
            "pair fixed: {} and {} do not stand on lines of their own, or a comment stands between them",
            describe(a),
            describe(b)
        ));
    }
    let (low, high) = if key_a < key_b {
        (key_a, key_b)
    } else {
        (key_b, key_a)
    };
    let mut hasher = prf.locator_hasher();
    match named {
        None => hasher.update(&[ChannelId::ItemOrder as u8, 1]),
        Some(id) => hasher
            .update(&[ChannelId::ItemOrder as u8, 2])
            .update(&id.0),
    };
    hasher.update(&low.0).update(&high.0);
    let mut replacement = String::with_capacity(b.end - a.start);
    replacement.push_str(&text[b.start..b.end]);
    replacement.push_str(gap);
    replacement.push_str(&text[a.start..a.end]);
    Ok(Site {
        channel: ChannelId::ItemOrder,
        locator: hasher.finish(),
        class: 0,
        value: key_a > key_b,
        byte_offset: a.start,
        flip: Edit {
            span: ByteSpan::new(a.start, b.end).ok_or_else(|| "bad span".to_owned())?,
            replacement,
        },
        swap: Some(Swap {
            parent: body.id(),
            first: (a.start, a.end),
            second: (b.start, b.end),
        }),
    })
}

/// Whether a marker (attribute, decorator) is on the allowlist.
fn is_pure_marker(order: &OrderTable, parsed: &Parsed<'_>, marker: Node<'_>) -> bool {
    let name = marker_name(parsed, marker);
    order.pure_markers.iter().any(|&pure| {
        if let Some(attr) = pure.strip_prefix("*.") {
            name.split_once('.')
                .is_some_and(|(head, tail)| tail == attr && is_plain_name(head))
        } else if let Some(prefix) = pure.strip_suffix(".*") {
            name.strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|rest| !rest.is_empty() && rest.split('.').all(is_plain_name))
        } else {
            pure == name
        }
    })
}

fn is_plain_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// A marker's path without arguments: `#[inline(always)]` gives `inline`,
/// `@x.setter` gives `x.setter`.
fn marker_name<'t>(parsed: &Parsed<'t>, marker: Node<'_>) -> &'t str {
    let raw = &parsed.text[marker.start_byte()..marker.end_byte()];
    let raw = raw
        .trim_start_matches('@')
        .trim_start_matches("#![")
        .trim_start_matches("#[")
        .trim_start();
    let end = raw
        .find(|c: char| c == '(' || c == '=' || c == ']' || c.is_whitespace())
        .unwrap_or(raw.len());
    &raw[..end]
}

/// What runs when `node` is defined (outside deferred subtrees such as
/// function bodies), in one walk: the first call other than a decorator's
/// own call (whose name the allowlist vets), and the identifiers named.
fn definition_time<'t>(parsed: &Parsed<'t>, node: Node<'t>) -> (Option<Node<'t>>, Vec<&'t str>) {
    let kinds = parsed.kinds;
    let mut call = None;
    let mut names = Vec::new();
    let mut cursor = node.walk();
    visit_definition_time(parsed, node, &mut cursor, &mut |n, kind, parent| {
        if kinds.identifier.contains(kind) {
            names.push(&parsed.text[n.start_byte()..n.end_byte()]);
        } else if call.is_none()
            && kinds.call.contains(kind)
            && !parent.is_some_and(|p| kinds.marker.contains(p))
        {
            call = Some(n);
        }
    });
    names.sort_unstable();
    names.dedup();
    (call, names)
}

/// Visit the identifiers under `node`, skipping deferred subtrees and
/// comments. Iterative.
fn visit_identifiers<'t>(
    parsed: &Parsed<'t>,
    node: Node<'t>,
    cursor: &mut tree_sitter::TreeCursor<'t>,
    f: &mut impl FnMut(Node<'t>),
) {
    visit_definition_time(parsed, node, cursor, &mut |n, kind, _| {
        if parsed.kinds.identifier.contains(kind) {
            f(n);
        }
    });
}

/// Visit every node under `node` that runs when it is defined (skipping
/// deferred subtrees), with its kind and its parent's kind. Iterative.
fn visit_definition_time<'t>(
    parsed: &Parsed<'t>,
    node: Node<'t>,
    cursor: &mut tree_sitter::TreeCursor<'t>,
    f: &mut impl FnMut(Node<'t>, u16, Option<u16>),
) {
    let deferred = &parsed.kinds.deferred;
    cursor.reset(node);
    let mut parents: Vec<u16> = Vec::new();
    loop {
        let current = cursor.node();
        let kind = current.kind_id();
        // The field name only when the parent may defer one (it costs).
        let skip = parents.last().is_some_and(|&parent| {
            deferred.iter().any(|(parents, field)| {
                parents.contains(parent) && cursor.field_name() == Some(*field)
            })
        });
        f(current, kind, parents.last().copied());
        if !skip && cursor.goto_first_child() {
            parents.push(kind);
            continue;
        }
        loop {
            if parents.is_empty() {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
            parents.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::{apply_checked, Rewrite};
    use crate::key::OwnerKey;
    use crate::lang::Lang;
    use crate::syntax::{index, parse};

    /// Every site's flip alone re-parses to exactly the declared swap, and
    /// flipping it twice restores the input.
    #[test]
    fn every_single_flip_verifies_and_flips_back() {
        let rust = "mod m {\n    pub struct A;\n\n    impl A {\n        /// One.\n        pub fn one(&self) -> u32 {\n            1\n        }\n\n        #[inline]\n        pub fn two(&self) -> u32 {\n            2 + 2\n        }\n\n        pub fn three(&self, x: u32) -> u32 {\n            x * 3\n        }\n\n        pub fn four(&self, x: u32) -> u32 {\n            x - 4\n        }\n    }\n\n    fn five() -> &'static str {\n        \"five\"\n    }\n\n    fn six(v: &[u8]) -> usize {\n        v.len() * 6\n    }\n}\n\nconst SEVEN: u32 = 7;\n\nstatic EIGHT: [u8; 8] = [8; 8];\n\nenum Nine {\n    A,\n    B,\n}\n\nstruct Ten(u32);\n";
        let python = "class A:\n    def one(self):\n        return 1\n\n    @property\n    def two(self):\n        return 2 + 2\n\n    def three(self, x):\n        return x * 3\n\n    def four(self, x):\n        return x - 4\n\n\ndef five():\n    return 'five'\n\n\ndef six(v):\n    return len(v) * 6\n\n\nclass Seven:\n    pass\n\n\ndef eight(*args):\n    return args\n";
        let mut total = 0;
        for seed in 0..8u8 {
            for (lang, src) in [(Lang::Rust, rust), (Lang::Python, python)] {
                let prf = Prf::new(&OwnerKey::from_seed([seed; 32]));
                // The sites of a fresh parse: a swap names its parent by
                // node id, and a checked rewrite consumes the parse.
                let sites_of = || {
                    let parsed = parse(lang, src).expect("parse");
                    let index = index(&parsed);
                    let mut sites = Vec::new();
                    ItemOrder.sites(&parsed, &index, &prf, &mut Units::default(), &mut sites);
                    drop(index);
                    (parsed, sites)
                };
                let count = sites_of().1.len();
                total += count;
                for i in 0..count {
                    let (parsed, sites) = sites_of();
                    let site = &sites[i];
                    assert!(site.swap.is_some(), "a move");
                    let rewrite = Rewrite::of_sites(src, &[site]).expect("one move");
                    let (text, _) =
                        apply_checked(parsed, rewrite).unwrap_or_else(|e| panic!("{lang}: {e}"));
                    // The flipped file shows the other value at the same
                    // locator, and flipping back restores the input.
                    let again = parse(lang, &text).expect("parse");
                    let again_index = crate::syntax::index(&again);
                    let mut after = Vec::new();
                    ItemOrder.sites(
                        &again,
                        &again_index,
                        &prf,
                        &mut Units::default(),
                        &mut after,
                    );
                    let same = after
                        .iter()
                        .find(|s| s.locator == site.locator)
                        .expect("the site is still found");
                    assert_eq!(same.value, !site.value);
                    let rewrite = Rewrite::of_sites(&text, &[same]).expect("one move");
                    drop(again_index);
                    let (back, _) = apply_checked(again, rewrite).expect("flip back");
                    assert_eq!(back, src);
                }
            }
        }
        assert!(total > 16, "only {total} sites over 8 keys");
    }
}

#[cfg(test)]
mod digest_tests {
    use crate::channel::Swap;
    use crate::lang::Lang;
    use crate::syntax::{parse, syntax_digest, syntax_digest_swapped};

    #[test]
    fn swapped_digest_equals_the_digest_of_the_swapped_text() {
        let src =
            "struct A;\n\nimpl X for A {\n    fn f() {}\n}\n\nimpl Y for A {\n    fn g() {}\n}\n";
        let a = src.find("impl X").unwrap();
        let a_end = src.find("}\n\nimpl Y").unwrap() + 1;
        let b = src.find("impl Y").unwrap();
        let b_end = src.len() - 1;
        let swapped = format!(
            "{}{}{}{}{}",
            &src[..a],
            &src[b..b_end],
            &src[a_end..b],
            &src[a..a_end],
            &src[b_end..]
        );
        let parsed = parse(Lang::Rust, src).unwrap();
        let new = parse(Lang::Rust, &swapped).unwrap();
        let swap = Swap {
            parent: parsed.tree.root_node().id(),
            first: (a, a_end),
            second: (b, b_end),
        };
        assert_eq!(
            syntax_digest_swapped(&parsed, &[swap]),
            syntax_digest(&new),
            "{swapped}"
        );
    }
}
