//! The IR optimizer, and the gate builder the DSL lowers into.
//!
//! Both rest on one structure, [`Builder`]: an XOR-AND graph whose edges carry
//! a complement flag (a [`Lit`]), in the style of and-inverter graphs. Negation
//! is therefore free and never a node; every new gate is
//!
//! - **constant-folded** (`x & 0 = 0`, `x ^ x = 0`, `x & !x = 0`, ...),
//! - **structurally hashed**: the same operation on the same operands returns
//!   the existing node, so one function of the same inputs is computed once;
//! - **XOR-normalized**: an XOR is known by its *sum*, the set of non-XOR
//!   nodes (inputs, ANDs) it adds up, each counted mod 2 (complements are
//!   the parity bit of the edge, constants fold into it). Sums that cancel
//!   fold (`((a ^ b) ^ (b ^ c)) ^ (a ^ c) = 0`, `(a ^ b) ^ b = a`), and
//!   equal sums are one node however they were bracketed.
//!
//! Sums are not stored: sums of SHA-256 have a hundred leaves and more, and
//! merging sets at every XOR doubled its compile time. Every node has a
//! *fingerprint* instead, a linear function of its sum: a random 64-bit
//! value for an input, a hash of its operands for an AND (so that the same
//! table finds the AND again: one lookup per AND), the XOR of its operands'
//! fingerprints for an XOR. Equal sums have equal fingerprints, so a new XOR looks its
//! fingerprint up (one table lookup, as structural hashing costs); a hit is
//! checked exactly (`Builder::sums_cancel`: at once for the same operands,
//! else by walking both XOR trees) before it is used, so a collision of
//! fingerprints never merges two different sums. The walk is bounded
//! ([`MAX_SUM_VISIT`] XOR nodes): past it the sums count as different,
//! which only misses a merge.
//!
//! [`Builder::finish`] then keeps only gates an output depends on (dead-gate
//! removal), schedules them in the order that keeps the fewest wires alive
//! (creation order or depth-first from the outputs, whichever measures
//! better), numbers wires in that order, and materializes complemented edges as
//! NOT gates (free under free-XOR) only where a gate or output needs them.
//!
//! [`optimize`] runs any [`Circuit`] (for example a Bristol import) through
//! the same builder.

use crate::ir::{Circuit, Gate, Input, Output, Party, ValueType, Wire};
use hashbrown::hash_table::{Entry, HashTable};
use rustc_hash::FxHashMap;

/// A signal: a node of the graph, possibly complemented.
/// Encoded as `node * 2 + complemented`; node 0 is the constant `false`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Lit(u32);

impl Lit {
    pub const FALSE: Lit = Lit(0);
    pub const TRUE: Lit = Lit(1);

    pub fn from_bool(b: bool) -> Lit {
        if b {
            Lit::TRUE
        } else {
            Lit::FALSE
        }
    }

    /// `Some(value)` if this signal is a public constant.
    pub fn constant(self) -> Option<bool> {
        (self.0 < 2).then_some(self.0 == 1)
    }

    fn node(self) -> usize {
        (self.0 >> 1) as usize
    }

    fn complemented(self) -> bool {
        self.0 & 1 == 1
    }

    fn positive(self) -> Lit {
        Lit(self.0 & !1)
    }
}

impl std::ops::Not for Lit {
    type Output = Lit;
    fn not(self) -> Lit {
        Lit(self.0 ^ 1)
    }
}

impl std::ops::BitXor<bool> for Lit {
    type Output = Lit;
    fn bitxor(self, flip: bool) -> Lit {
        Lit(self.0 ^ flip as u32)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Node {
    Const,
    Input,
    And(Lit, Lit),
    /// Operands are never complemented: complements are pushed to the output.
    Xor(Lit, Lit),
}

/// A [`Node`] in 8 bytes, the form the builder stores (12 million nodes
/// for a 16x16 matrix product of u32: the node store's size is the
/// builder's cache misses). An AND's operands are stored in increasing
/// order and an XOR's in decreasing order (both are distinct, see
/// [`Builder::and`] and [`Builder::xor`]), so the order tells them apart;
/// equal words are the constant (node 0) or an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PackedNode(u32, u32);

impl PackedNode {
    const INPUT: PackedNode = PackedNode(u32::MAX, u32::MAX);

    fn pack(node: Node) -> PackedNode {
        match node {
            Node::Const => PackedNode(0, 0),
            Node::Input => PackedNode::INPUT,
            Node::And(a, b) => {
                debug_assert!(a < b, "AND operands are distinct and ordered");
                PackedNode(a.0, b.0)
            }
            Node::Xor(a, b) => {
                debug_assert!(a < b, "XOR operands are distinct and ordered");
                PackedNode(b.0, a.0)
            }
        }
    }

    #[inline(always)]
    fn unpack(self) -> Node {
        let PackedNode(x, y) = self;
        if x < y {
            Node::And(Lit(x), Lit(y))
        } else if x > y {
            Node::Xor(Lit(y), Lit(x))
        } else if x == 0 {
            Node::Const
        } else {
            Node::Input
        }
    }
}

/// The most XOR nodes one exact comparison of sums walks (see the module
/// docs): sums larger than that are compared by structure only.
pub const MAX_SUM_VISIT: usize = 4096;

/// An XOR-AND graph under construction, folding and hashing as it grows.
#[derive(Debug)]
pub struct Builder {
    nodes: Vec<PackedNode>,
    /// XORs of two operands whose sum an earlier node was found to have
    /// (other XORs are found by `by_fp`).
    xor_alias: FxHashMap<Node, u32>,
    /// By node: the fingerprint of its sum (see the module docs).
    fp: Vec<u64>,
    /// A node of each fingerprint (the first made): inputs, ANDs, XORs and
    /// the constant (fingerprint 0, the empty sum). Only the node number
    /// is stored, hashed by the low half of `fp[n]` (random already): 5
    /// bytes a bucket with the table's control byte, 84 MB at 2^24 buckets
    /// (matmul16) where storing that half too took 151 MB.
    by_fp: HashTable<u32>,
}

/// splitmix64's output function of `x + 1`.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The fingerprint of input node `n`: splitmix64 of `n`,
/// fixed so that compiling is deterministic.
fn leaf_fp(n: usize) -> u64 {
    splitmix(n as u64)
}

/// The fingerprint of an AND node: a hash of its operands, distinct for
/// distinct operands (splitmix64 is a bijection) and from every input's
/// (an AND's first operand is at least 2, so its key is at least 2^33).
fn and_fp(p: PackedNode) -> u64 {
    splitmix(u64::from(p.0) << 32 | u64::from(p.1))
}

/// The table hash of a kept 32-bit hash: the table takes its index from
/// the low bits and a tag from the top 7.
fn spread(h: u32) -> u64 {
    u64::from(h) << 32 | u64::from(h)
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    pub fn new() -> Self {
        let fp = vec![0u64];
        let mut by_fp = HashTable::new();
        by_fp.insert_unique(spread(0), 0, |_: &u32| spread(0));
        Builder {
            nodes: vec![PackedNode::pack(Node::Const)],
            xor_alias: FxHashMap::default(),
            fp,
            by_fp,
        }
    }

    /// Node `n`, unpacked.
    #[inline(always)]
    fn node(&self, n: usize) -> Node {
        self.nodes[n].unpack()
    }

    /// Number of nodes so far (inputs and gates): a bound on the circuit size.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    /// A fresh input bit.
    pub fn input(&mut self) -> Lit {
        self.push(Node::Input, None)
    }

    /// Appends `node` with its fingerprint (`None`: a leaf's own).
    fn push(&mut self, node: Node, fp: Option<u64>) -> Lit {
        let n = self.nodes.len();
        let fp = fp.unwrap_or_else(|| leaf_fp(n));
        self.nodes.push(PackedNode::pack(node));
        self.fp.push(fp);
        let fps = &self.fp;
        let same = |&e: &u32| fps[e as usize] == fp;
        let hash = |&e: &u32| spread(fps[e as usize] as u32);
        if let Entry::Vacant(v) = self.by_fp.entry(spread(fp as u32), same, hash) {
            v.insert(n as u32);
        }
        Lit((n as u32) << 1)
    }

    /// The first node made with fingerprint `fp`.
    fn by_fp(&self, fp: u64) -> Option<u32> {
        self.by_fp
            .find(spread(fp as u32), |&e| self.fp[e as usize] == fp)
            .copied()
    }

    /// The AND node `node`, made once: found by its fingerprint, a hash of
    /// its operands (see [`and_fp`]). A node of another kind with the same
    /// fingerprint (a 64-bit collision) only makes a second copy.
    fn intern(&mut self, node: Node) -> Lit {
        let fp = and_fp(PackedNode::pack(node));
        match self.by_fp(fp) {
            Some(n) if self.node(n as usize) == node => Lit(n << 1),
            _ => self.push(node, Some(fp)),
        }
    }

    pub fn xor(&mut self, a: Lit, b: Lit) -> Lit {
        let flip = a.complemented() ^ b.complemented();
        let (a, b) = (a.positive(), b.positive());
        let r = if a == b {
            Lit::FALSE
        } else if a == Lit::FALSE {
            b
        } else if b == Lit::FALSE {
            a
        } else {
            self.xor_sum(a, b)
        };
        r ^ flip
    }

    /// `a ^ b` of two distinct positive non-constant signals: the node that
    /// already has its sum (the constant if the sum cancels, a leaf if it is
    /// one), else a new XOR node (see the module docs).
    fn xor_sum(&mut self, a: Lit, b: Lit) -> Lit {
        let node = Node::Xor(a.min(b), a.max(b));
        let fp = self.fp[a.node()] ^ self.fp[b.node()];
        if let Some(n) = self.by_fp(fp) {
            if self.node(n as usize) == node || self.xor_alias.get(&node) == Some(&n) {
                return Lit(n << 1);
            }
            if self.sums_cancel(&[a.node(), b.node(), n as usize]) == Some(true) {
                // The same XOR asked again finds `n` without a walk.
                self.xor_alias.insert(node, n);
                return Lit(n << 1);
            }
        }
        self.push(node, Some(fp))
    }

    /// Whether the sums of the nodes `roots` add up to nothing (each leaf
    /// counted an even number of times), or `None` if finding out walks
    /// more than [`MAX_SUM_VISIT`] XOR nodes. A leaf's count is the number
    /// of paths to it from the roots over XOR edges, mod 2; nodes are
    /// numbered after their operands, so taking them from the highest
    /// number down counts every path into a node before the node passes
    /// its count on.
    fn sums_cancel(&self, roots: &[usize]) -> Option<bool> {
        // The count of each node reached, and the nodes still to take.
        type Counts = (FxHashMap<usize, bool>, std::collections::BinaryHeap<usize>);
        fn count(n: usize, (odd, next): &mut Counts) {
            match odd.get_mut(&n) {
                Some(p) => *p ^= true,
                None => {
                    odd.insert(n, true);
                    next.push(n);
                }
            }
        }
        let mut c: Counts = Default::default();
        for &r in roots {
            count(r, &mut c);
        }
        let mut walked = 0;
        while let Some(n) = c.1.pop() {
            let here = c.0[&n];
            match self.node(n) {
                Node::Const => {}
                Node::Input | Node::And(..) if here => return Some(false),
                Node::Input | Node::And(..) => {}
                Node::Xor(a, b) => {
                    walked += 1;
                    if walked > MAX_SUM_VISIT {
                        return None;
                    }
                    if here {
                        count(a.node(), &mut c);
                        count(b.node(), &mut c);
                    }
                }
            }
        }
        Some(true)
    }

    pub fn and(&mut self, a: Lit, b: Lit) -> Lit {
        if a == Lit::FALSE || b == Lit::FALSE || a == !b {
            Lit::FALSE
        } else if a == Lit::TRUE || a == b {
            b
        } else if b == Lit::TRUE {
            a
        } else {
            self.intern(Node::And(a.min(b), a.max(b)))
        }
    }

    pub fn or(&mut self, a: Lit, b: Lit) -> Lit {
        !self.and(!a, !b)
    }

    /// `if s { t } else { f }`: one AND.
    pub fn mux(&mut self, s: Lit, t: Lit, f: Lit) -> Lit {
        let d = self.xor(t, f);
        let m = self.and(s, d);
        self.xor(f, m)
    }

    /// Turns the graph into a circuit computing `outputs` from `inputs`.
    ///
    /// Every literal in `inputs` must come from [`Builder::input`] (each once);
    /// input wires are numbered first, in group order. Consumes the builder:
    /// its hash-consing tables and fingerprints, most of its memory, are
    /// freed before the circuit is made.
    pub fn finish(
        self,
        name: &str,
        inputs: Vec<(String, Party, ValueType, Vec<Lit>)>,
        outputs: Vec<(String, ValueType, Vec<Lit>)>,
    ) -> Circuit {
        let (interface, gates) = self.finish_into(name, inputs, outputs, Vec::new());
        Circuit { gates, ..interface }
    }

    /// [`Builder::finish`] with the gates sent to `sink` as they are made,
    /// in canonical numbering (input bits `0..n`, then gate `i` writes wire
    /// `n + i`), rather than collected: a 16x16 matrix product of u32 has
    /// 12 million gates, 195 MB as a `Vec<Gate>`, that a file writer need
    /// never hold. Returns the circuit's interface (name, wire count, input
    /// and output groups) with *no gates*, and the sink.
    pub fn finish_into<S: GateSink>(
        mut self,
        name: &str,
        inputs: Vec<(String, Party, ValueType, Vec<Lit>)>,
        outputs: Vec<(String, ValueType, Vec<Lit>)>,
        sink: S,
    ) -> (Circuit, S) {
        self.xor_alias = FxHashMap::default();
        self.by_fp = HashTable::new();
        self.fp = Vec::new();
        let live = self.live_gates(&outputs);
        let depth_first = self.depth_first_order(&outputs, live.len);
        let creation = Order::Creation(live);
        // Both orders hold the same nodes, so the polarity counts are one.
        let mut scratch = Scratch {
            want_neg: self.polarity_wants(&creation, &outputs),
            wire: Vec::new(),
            phase: Vec::new(),
        };
        // Each order's peak is measured on a dry run of the emitter, which
        // keeps only each wire's last reader: emitting both circuits to
        // compare them held two circuits at once.
        let depth_first_is_lower = !depth_first.nodes(&self).eq(creation.nodes(&self)) && {
            let mut reads = LastReads::default();
            let mut peak = |order| self.peak_of(&inputs, &outputs, order, &mut scratch, &mut reads);
            peak(&depth_first) < peak(&creation)
        };
        let order = if depth_first_is_lower {
            drop(creation);
            depth_first
        } else {
            drop(depth_first);
            creation
        };
        let (ir_inputs, ir_outputs, sink, num_wires) =
            self.emit(&inputs, &outputs, &order, &mut scratch, sink);
        let interface = Circuit {
            name: name.to_string(),
            num_wires,
            inputs: ir_inputs,
            outputs: ir_outputs,
            gates: Vec::new(),
        };
        (interface, sink)
    }

    /// [`Circuit::peak_live_wires`] of the circuit [`Builder::emit`] makes
    /// in `order`, without making it.
    fn peak_of(
        &self,
        inputs: &[(String, Party, ValueType, Vec<Lit>)],
        outputs: &[(String, ValueType, Vec<Lit>)],
        order: &Order,
        scratch: &mut Scratch,
        reads: &mut LastReads,
    ) -> u64 {
        let n_in: usize = inputs.iter().map(|i| i.3.len()).sum();
        reads.start(n_in);
        let (_, ir_outputs, reads, _) = self.emit(inputs, outputs, order, scratch, reads);
        // The emitter's wire array is free until the next run: it holds the
        // deaths count, rather than a fresh array of a word per gate.
        reads.peak(ir_outputs.iter().flat_map(|o| &o.wires), &mut scratch.wire)
    }

    /// How much more often each node is needed complemented than plain
    /// where polarity costs a NOT gate (AND inputs and outputs; XORs take
    /// either), over the gates of `order`. Readers are fewer than 2^31, so
    /// the difference fits.
    fn polarity_wants(&self, order: &Order, outputs: &[(String, ValueType, Vec<Lit>)]) -> Vec<i32> {
        let mut want_neg = vec![0i32; self.nodes.len()];
        let mut count = |l: Lit| {
            want_neg[l.node()] += if l.complemented() { 1 } else { -1 };
        };
        for n in order.nodes(self) {
            if let Node::And(a, b) = self.node(n as usize) {
                count(a);
                count(b);
            }
        }
        outputs
            .iter()
            .flat_map(|o| o.2.iter())
            .for_each(|&l| count(l));
        want_neg
    }

    /// The gate nodes (ANDs and XORs) an output depends on.
    fn live_gates(&self, outputs: &[(String, ValueType, Vec<Lit>)]) -> NodeSet {
        let live = self.live_nodes(outputs);
        let mut gates = NodeSet::new(self.nodes.len());
        for (n, _) in live.iter().enumerate().filter(|(_, &l)| l) {
            if matches!(self.node(n), Node::And(..) | Node::Xor(..)) {
                gates.insert(n);
            }
        }
        gates
    }

    fn live_nodes(&self, outputs: &[(String, ValueType, Vec<Lit>)]) -> Vec<bool> {
        let mut live = vec![false; self.nodes.len()];
        let mut stack: Vec<usize> = outputs
            .iter()
            .flat_map(|o| o.2.iter().map(|l| l.node()))
            .collect();
        while let Some(n) = stack.pop() {
            if std::mem::replace(&mut live[n], true) {
                continue;
            }
            if let Node::And(a, b) | Node::Xor(a, b) = self.node(n) {
                stack.push(a.node());
                stack.push(b.node());
            }
        }
        live
    }

    /// Gates in depth-first post-order from the outputs: each output's cone is
    /// finished before the next starts, so intermediate wires die early.
    /// Walked afresh each time it is used (three times at most), rather
    /// than kept as a list of a word per gate through the dry runs.
    /// `gates`: how many there are (the live gates, [`Builder::live_gates`]).
    fn depth_first_order(&self, outputs: &[(String, ValueType, Vec<Lit>)], gates: usize) -> Order {
        Order::DepthFirst {
            roots: outputs
                .iter()
                .flat_map(|o| o.2.iter().map(|l| l.node() as u32))
                .collect(),
            len: gates,
        }
    }

    /// The gates of the nodes in `order` (input wires numbered first, then
    /// gate outputs in turn), into `sink`; the input and output groups and
    /// the number of wires.
    fn emit<S: GateSink>(
        &self,
        inputs: &[(String, Party, ValueType, Vec<Lit>)],
        outputs: &[(String, ValueType, Vec<Lit>)],
        order: &Order,
        scratch: &mut Scratch,
        sink: S,
    ) -> (Vec<Input>, Vec<Output>, S, Wire) {
        let Scratch {
            want_neg,
            wire,
            phase,
        } = scratch;
        wire.clear();
        wire.resize(self.nodes.len(), NONE);
        phase.clear();
        phase.resize(self.nodes.len(), false);
        let mut e = Emitter {
            wire,
            not_wire: FxHashMap::default(),
            phase,
            consts: [NONE; 2],
            next: 0,
            gates: sink,
        };
        let ir_inputs = inputs
            .iter()
            .map(|(name, party, ty, lits)| Input {
                name: name.clone(),
                party: *party,
                ty: ty.clone(),
                wires: lits
                    .iter()
                    .map(|l| {
                        debug_assert!(matches!(self.node(l.node()), Node::Input));
                        e.wire[l.node()] = e.next;
                        e.next += 1;
                        e.next - 1
                    })
                    .collect(),
            })
            .collect::<Vec<Input>>();
        // At least one gate per node of `order`, a NOT for some.
        e.gates.start(&ir_inputs, order.len());
        for n in order.nodes(self) {
            let n = n as usize;
            let gate = match self.node(n) {
                Node::And(a, b) => {
                    let a = e.wire_of(a);
                    let b = e.wire_of(b);
                    Gate::And { a, b, out: e.next }
                }
                Node::Xor(a, b) => {
                    // Emit the XOR in the polarity its users mostly need, if
                    // an operand's complement is already on a wire (free).
                    let (a, b) = (a.node(), b.node());
                    let want = want_neg[n] > 0;
                    let mut wa = e.wire[a];
                    let mut wb = e.wire[b];
                    let mut ph = e.phase[a] ^ e.phase[b];
                    if ph != want {
                        if let Some(&w) = e.not_wire.get(&(a as u32)) {
                            wa = w;
                            ph = want;
                        } else if let Some(&w) = e.not_wire.get(&(b as u32)) {
                            wb = w;
                            ph = want;
                        }
                    }
                    e.phase[n] = ph;
                    Gate::Xor {
                        a: wa,
                        b: wb,
                        out: e.next,
                    }
                }
                Node::Const | Node::Input => continue,
            };
            e.gates.push(gate);
            e.wire[n] = e.next;
            e.next += 1;
        }
        let ir_outputs = outputs
            .iter()
            .map(|(name, ty, lits)| Output {
                name: name.clone(),
                ty: ty.clone(),
                wires: lits.iter().map(|&l| e.wire_of(l)).collect(),
            })
            .collect();
        (ir_inputs, ir_outputs, e.gates, e.next)
    }
}

const NONE: Wire = Wire::MAX;

/// A set of nodes, a bit each: the creation order of the live gates in
/// 1/32 of the memory of a list of them (12 million gates: 1.5 MB, not 48).
struct NodeSet {
    words: Vec<u64>,
    len: usize,
}

impl NodeSet {
    fn new(nodes: usize) -> NodeSet {
        NodeSet {
            words: vec![0; nodes.div_ceil(64)],
            len: 0,
        }
    }

    fn insert(&mut self, n: usize) {
        let (w, bit) = (n / 64, 1u64 << (n % 64));
        self.len += (self.words[w] & bit == 0) as usize;
        self.words[w] |= bit;
    }

    /// The members, in increasing order.
    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros();
                    rest &= rest - 1;
                    (i * 64) as u32 + bit
                })
            })
        })
    }
}

/// An order of the live gates to emit them in.
enum Order {
    /// Creation order (node number): operands come before their readers.
    Creation(NodeSet),
    /// Depth-first post-order from the output nodes `roots`, in turn
    /// ([`Builder::depth_first_order`]); `len` gates.
    DepthFirst { roots: Vec<u32>, len: usize },
}

impl Order {
    fn len(&self) -> usize {
        match self {
            Order::Creation(set) => set.len,
            Order::DepthFirst { len, .. } => *len,
        }
    }

    fn nodes<'a>(&'a self, b: &'a Builder) -> impl Iterator<Item = u32> + 'a {
        let (set, roots) = match self {
            Order::Creation(set) => (Some(set), None),
            Order::DepthFirst { roots, .. } => (None, Some(roots)),
        };
        let from_set = set.into_iter().flat_map(NodeSet::iter);
        from_set.chain(roots.map(|r| DepthFirst::new(b, r)).into_iter().flatten())
    }
}

/// The walk of [`Order::DepthFirst`].
struct DepthFirst<'a> {
    b: &'a Builder,
    done: Vec<bool>,
    /// Nodes to visit, and whether their operands are done.
    stack: Vec<(usize, bool)>,
}

impl<'a> DepthFirst<'a> {
    fn new(b: &'a Builder, roots: &[u32]) -> DepthFirst<'a> {
        DepthFirst {
            b,
            done: vec![false; b.nodes.len()],
            // Pushed last-first so the first output bit is processed first.
            stack: roots.iter().rev().map(|&r| (r as usize, false)).collect(),
        }
    }
}

impl Iterator for DepthFirst<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        while let Some((n, expanded)) = self.stack.pop() {
            if self.done[n] {
                continue;
            }
            match self.b.node(n) {
                Node::And(a, b) | Node::Xor(a, b) => {
                    if expanded {
                        self.done[n] = true;
                        return Some(n as u32);
                    }
                    self.stack.push((n, true));
                    self.stack.push((b.node(), false));
                    self.stack.push((a.node(), false));
                }
                Node::Const | Node::Input => self.done[n] = true,
            }
        }
        None
    }
}

/// Where the builder's emitter puts the gates, in order: a circuit's gate
/// list, a file being written ([`crate::compiled::FileWriter`]), or a dry
/// run that only measures.
pub trait GateSink {
    /// Called once, before the first gate, with the input groups (wires
    /// `0..n` in order) and a lower bound on the number of gates to come.
    fn start(&mut self, inputs: &[Input], gates_at_least: usize) {
        let _ = (inputs, gates_at_least);
    }

    /// The next gate: it writes the next wire.
    fn push(&mut self, gate: Gate);
}

impl GateSink for Vec<Gate> {
    fn start(&mut self, _inputs: &[Input], gates_at_least: usize) {
        // With room for the NOT gates of complemented edges.
        self.reserve(gates_at_least + gates_at_least / 4);
    }

    fn push(&mut self, gate: Gate) {
        Vec::push(self, gate);
    }
}

/// The per-node arrays of [`Builder::emit`], made once for its dry runs
/// and the real emit: a fresh 50 MB array is 12,000 page faults, which
/// cost more than filling it again.
struct Scratch {
    /// By node: [`Builder::polarity_wants`], the same for every order.
    want_neg: Vec<i32>,
    wire: Vec<Wire>,
    phase: Vec<bool>,
}

/// A dry run of [`Builder::emit`]: the last gate reading each wire (wires
/// numbered as emitted: inputs, then gate outputs), which is all
/// [`Circuit::peak_live_wires`] needs. Reused by both dry runs.
#[derive(Default)]
struct LastReads {
    last: Vec<u32>,
    gates: u32,
}

impl GateSink for &mut LastReads {
    fn push(&mut self, gate: Gate) {
        for w in gate.inputs() {
            self.last[w as usize] = self.gates;
        }
        self.last.push(NONE);
        self.gates += 1;
    }
}

impl LastReads {
    /// Ready for a dry run of a circuit with `n_in` input bits.
    fn start(&mut self, n_in: usize) {
        self.last.clear();
        self.last.resize(n_in, NONE);
        self.gates = 0;
    }

    /// [`Circuit::peak_live_wires`] of the gates seen, with `outputs` read
    /// after the last gate: the same count on the same deaths.
    /// `deaths` is scratch space, its contents replaced.
    fn peak<'a>(&mut self, outputs: impl Iterator<Item = &'a Wire>, deaths: &mut Vec<u32>) -> u64 {
        let end = self.gates;
        for &w in outputs {
            self.last[w as usize] = end;
        }
        let n_in = self.last.len() - self.gates as usize;
        deaths.clear();
        deaths.resize(self.gates as usize + 1, 0);
        let mut live: i64 = 0;
        for &l in &self.last[..n_in] {
            if l != NONE {
                deaths[l as usize] += 1;
                live += 1;
            }
        }
        let mut peak = live;
        for (i, &l) in self.last[n_in..].iter().enumerate() {
            if l != NONE {
                deaths[l as usize] += 1;
                live += 1;
            }
            peak = peak.max(live);
            live -= deaths[i] as i64;
        }
        peak.max(0) as u64
    }
}

/// Wire numbering while gates are emitted. `wire[n]` carries node `n`
/// complemented if `phase[n]`; `not_wire[&n]`, once made, the opposite
/// (few nodes need both polarities: a map, not a wire per node).
struct Emitter<'a, S> {
    wire: &'a mut [Wire],
    not_wire: FxHashMap<u32, Wire>,
    phase: &'a mut [bool],
    consts: [Wire; 2],
    next: Wire,
    gates: S,
}

impl<S: GateSink> Emitter<'_, S> {
    fn fresh(&mut self, gate: impl FnOnce(Wire) -> Gate) -> Wire {
        let out = self.next;
        self.gates.push(gate(out));
        self.next += 1;
        out
    }

    /// The wire carrying `l`, emitting a NOT or constant gate on first need.
    fn wire_of(&mut self, l: Lit) -> Wire {
        if let Some(v) = l.constant() {
            if self.consts[v as usize] == NONE {
                self.consts[v as usize] = self.fresh(|out| Gate::Const { value: v, out });
            }
            return self.consts[v as usize];
        }
        let n = l.node();
        if l.complemented() == self.phase[n] {
            return self.wire[n];
        }
        if let Some(&w) = self.not_wire.get(&(n as u32)) {
            return w;
        }
        let a = self.wire[n];
        let w = self.fresh(|out| Gate::Not { a, out });
        self.not_wire.insert(n as u32, w);
        w
    }
}

/// Returns a circuit computing the same function as `c` (equal under
/// [`Circuit::eval_plain`], same input and output groups) with constants
/// folded, duplicate gates merged, dead gates removed and gates scheduled to
/// keep few wires alive. A circuit that fails [`Circuit::validate`] is
/// returned unchanged (optimizing it would be meaningless).
pub fn optimize(c: &Circuit) -> Circuit {
    if c.validate().is_err() {
        return c.clone();
    }
    let mut b = Builder::new();
    let mut lit = vec![Lit::FALSE; c.num_wires as usize];
    let inputs = c
        .inputs
        .iter()
        .map(|i| {
            let lits = i
                .wires
                .iter()
                .map(|&w| {
                    let l = b.input();
                    lit[w as usize] = l;
                    l
                })
                .collect();
            (i.name.clone(), i.party, i.ty.clone(), lits)
        })
        .collect();
    for g in &c.gates {
        let (out, l) = match *g {
            Gate::Xor { a, b: y, out } => (out, b.xor(lit[a as usize], lit[y as usize])),
            Gate::And { a, b: y, out } => (out, b.and(lit[a as usize], lit[y as usize])),
            Gate::Not { a, out } => (out, !lit[a as usize]),
            Gate::Const { value, out } => (out, Lit::from_bool(value)),
        };
        lit[out as usize] = l;
    }
    let outputs = c
        .outputs
        .iter()
        .map(|o| {
            let lits = o.wires.iter().map(|&w| lit[w as usize]).collect();
            (o.name.clone(), o.ty.clone(), lits)
        })
        .collect();
    b.finish(&c.name, inputs, outputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_hashing() {
        let mut b = Builder::new();
        let x = b.input();
        let y = b.input();
        assert_eq!(b.and(x, Lit::FALSE), Lit::FALSE);
        assert_eq!(b.and(x, Lit::TRUE), x);
        assert_eq!(b.and(x, !x), Lit::FALSE);
        assert_eq!(b.xor(x, x), Lit::FALSE);
        assert_eq!(b.xor(x, !x), Lit::TRUE);
        assert_eq!(b.xor(x, Lit::TRUE), !x);
        let p = b.and(x, y);
        assert_eq!(b.and(y, x), p);
        let q = b.xor(!x, y);
        assert_eq!(b.xor(y, x), !q);
        let before = b.len();
        let _ = b.or(x, y);
        let _ = b.or(y, x);
        assert_eq!(b.len(), before + 1);
    }

    /// Sums are compared by their leaves, however bracketed: sums that
    /// cancel fold to the constant or to the leaf that is left, and equal
    /// sums are one node.
    #[test]
    fn xor_sums_cancel_and_merge() {
        let mut b = Builder::new();
        let [x, y, z] = [b.input(), b.input(), b.input()];
        let xy = b.xor(x, y);
        let yz = b.xor(y, z);
        let xz = b.xor(x, z);
        assert_eq!(b.xor(xy, y), x);
        assert_eq!(b.xor(y, xy), x);
        let before = b.len();
        let s = b.xor(xy, yz);
        assert_eq!(s, xz);
        assert_eq!(b.xor(s, xz), Lit::FALSE);
        let xyz = b.xor(xy, z);
        assert_eq!(b.xor(x, yz), xyz);
        assert_eq!(b.xor(xz, y), xyz);
        assert_eq!(b.len(), before + 1, "only x ^ y ^ z is new");
        // An AND that reads a sum that cancels folds.
        let zero = b.xor(xyz, xyz);
        assert_eq!(b.and(zero, x), Lit::FALSE);
        let x_again = b.xor(xyz, yz);
        assert_eq!(b.and(x_again, x), x);
    }

    /// Constants and NOTs are the parity of a sum: they fold and cancel.
    #[test]
    fn xor_sums_with_constants_and_nots() {
        let mut b = Builder::new();
        let [x, y, z] = [b.input(), b.input(), b.input()];
        let xy = b.xor(x, y);
        let x1 = b.xor(x, Lit::TRUE);
        assert_eq!(x1, !x);
        let nxy = b.xor(!x, y);
        assert_eq!(b.xor(nxy, x1), y);
        let x1ny = b.xor(x1, !y);
        assert_eq!(b.xor(x1ny, xy), Lit::FALSE);
        // t = x ^ y ^ !z
        let t = b.xor(xy, !z);
        let zx = b.xor(z, x);
        assert_eq!(b.xor(t, zx), !y);
        let t1 = b.xor(t, Lit::TRUE);
        assert_eq!(b.xor(t1, !xy), !z);
        // Two complements cancel: !x ^ (y ^ !z) = x ^ y ^ z.
        let ynz = b.xor(y, !z);
        let u = b.xor(!x, ynz);
        let xyz = b.xor(xy, z);
        assert_eq!(u, xyz);
        assert_eq!(b.and(u, !xyz), Lit::FALSE);
        assert_eq!(b.and(!u, !xyz), !xyz);
    }

    /// A fingerprint collision never merges two different sums, and sums
    /// too large to walk are merged only by structure.
    #[test]
    fn xor_sums_are_checked_exactly() {
        let mut b = Builder::new();
        let [x, y, z] = [b.input(), b.input(), b.input()];
        // Give z the fingerprint of x ^ y.
        let f = b.fp[x.node()] ^ b.fp[y.node()];
        b.fp[z.node()] = f;
        let fps = &b.fp;
        b.by_fp
            .insert_unique(spread(f as u32), z.node() as u32, |&e| {
                spread(fps[e as usize] as u32)
            });
        let xy = b.xor(x, y);
        assert_ne!(xy, z);
        // (x ^ y) ^ z has the constant's fingerprint now, not its sum.
        let s = b.xor(xy, z);
        assert!(s.constant().is_none());
        assert!(matches!(b.node(s.node()), Node::Xor(..)));
        // Two chains over the same leaves, summed in opposite orders.
        let n = MAX_SUM_VISIT + 10;
        let leaves: Vec<Lit> = (0..n).map(|_| b.input()).collect();
        let up = leaves.iter().fold(Lit::FALSE, |s, &l| b.xor(s, l));
        let down = leaves.iter().rev().fold(Lit::FALSE, |s, &l| b.xor(s, l));
        assert_ne!(up, down, "past the walk's bound");
        let short = &leaves[..100];
        let up = short.iter().fold(Lit::FALSE, |s, &l| b.xor(s, l));
        let down = short.iter().rev().fold(Lit::FALSE, |s, &l| b.xor(s, l));
        assert_eq!(up, down);
    }

    /// The dry run's peak is the emitted circuit's, in both orders, on
    /// random graphs with complemented edges, constants and dead nodes.
    #[test]
    fn peak_of_an_order_is_the_emitted_circuits() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..40 {
            let mut b = Builder::new();
            let xs: Vec<Lit> = (0..6).map(|_| b.input()).collect();
            let ys: Vec<Lit> = (0..5).map(|_| b.input()).collect();
            let mut lits: Vec<Lit> = xs.iter().chain(&ys).copied().collect();
            lits.push(Lit::TRUE);
            for _ in 0..(20 + round * 5) {
                let pick = |r: u64| lits[r as usize % lits.len()] ^ (r >> 40 & 1 == 1);
                let (p, q) = (pick(next()), pick(next()));
                let l = if next() % 3 == 0 {
                    b.and(p, q)
                } else {
                    b.xor(p, q)
                };
                lits.push(l);
            }
            let outs: Vec<Lit> = (0..7)
                .map(|_| lits[next() as usize % lits.len()] ^ (next() % 2 == 1))
                .collect();
            let inputs = vec![
                ("x".into(), Party::Garbler, ValueType::UInt(6), xs),
                ("y".into(), Party::Evaluator, ValueType::UInt(5), ys),
            ];
            let outputs = vec![("z".into(), ValueType::UInt(7), outs)];
            let live = b.live_nodes(&outputs);
            let creation: Vec<u32> = (0..b.nodes.len() as u32)
                .filter(|&n| {
                    live[n as usize] && matches!(b.node(n as usize), Node::And(..) | Node::Xor(..))
                })
                .collect();
            let set = b.live_gates(&outputs);
            assert_eq!(set.iter().collect::<Vec<u32>>(), creation);
            assert_eq!(set.len, creation.len());
            let depth_first = b.depth_first_order(&outputs, set.len);
            let creation = Order::Creation(set);
            let walked: Vec<u32> = depth_first.nodes(&b).collect();
            assert_eq!(walked.len(), depth_first.len());
            let mut sorted = walked.clone();
            sorted.sort_unstable();
            assert_eq!(
                sorted,
                creation.nodes(&b).collect::<Vec<u32>>(),
                "the same gates"
            );
            let mut scratch = Scratch {
                want_neg: b.polarity_wants(&creation, &outputs),
                wire: Vec::new(),
                phase: Vec::new(),
            };
            let mut reads = LastReads::default();
            // Scratch reused in both orders, as `finish` does.
            for order in [&creation, &depth_first, &creation] {
                let peak = b.peak_of(&inputs, &outputs, order, &mut scratch, &mut reads);
                let (i, o, gates, _) = b.emit(&inputs, &outputs, order, &mut scratch, Vec::new());
                let c = Circuit {
                    name: "t".into(),
                    num_wires: 11 + gates.len() as u32,
                    inputs: i,
                    outputs: o,
                    gates,
                };
                c.validate().unwrap();
                assert_eq!(peak, c.peak_live_wires(), "round {round}");
            }
        }
    }

    #[test]
    fn dead_gates_removed_and_nots_materialized() {
        let mut b = Builder::new();
        let x = b.input();
        let y = b.input();
        let _dead = b.and(x, y);
        let o = b.or(x, y);
        let c = b.finish(
            "t",
            vec![
                ("x".into(), Party::Garbler, ValueType::Bool, vec![x]),
                ("y".into(), Party::Evaluator, ValueType::Bool, vec![y]),
            ],
            vec![("out".into(), ValueType::Bool, vec![o])],
        );
        c.validate().unwrap();
        let s = c.stats();
        assert_eq!((s.and, s.not), (1, 3));
        for (a, bb) in [(false, false), (false, true), (true, false), (true, true)] {
            assert_eq!(
                c.eval_plain(&[vec![a], vec![bb]]).unwrap(),
                vec![vec![a | bb]]
            );
        }
    }
}
