;; The per-row part of Fast TreeSHAP v2 (fast-tree-shap.ts, `fastTreeShapInto`) for one tree,
;; assembled by `npm run assemble:wasm` into fast-tree-shap-kernel-wasm.ts. WebAssembly because the
;; same two loops in JavaScript pay a bounds check on every typed-array access (BENCHMARKS.md).
;;
;; Memory, little-endian, addresses in bytes (the caller lays it out, wasm-fast-tree-shap.ts):
;;   internal node records of the tree, 32 bytes each, in tree-local preorder:
;;     f64 threshold (x <= threshold goes left), i32 byte offset of the feature in a row (8 x feature),
;;     i32 left child, i32 right child (tree-local: internal nodes 0 .. I - 1, then leaves I .. I + L - 1),
;;     i32 the node's slot bit, i32 1 when NaN goes right
;;   leaf records of the tree, 16 bytes each: i32 path slots d (0: contributes nothing),
;;     i32 byte address of its slots' feature offsets (i32 each, 8 x feature),
;;     i32 byte address of its expanded table E(C, k) (f64 at C * d + k), i32 unused
;;   rows, row-major f64, `rowBytes` apart; values (Shapley values), the same shape, added to;
;;   cold masks, i32, BLOCK per tree-local node.
(module
  (memory (export "memory") 1)
  (func (export "accumulateTree")
    (param $internal i32) (param $nInternal i32) (param $leaves i32) (param $nLeaves i32)
    (param $rows i32) (param $values i32) (param $rowBytes i32) (param $nRows i32) (param $cold i32)
    (local $r0 i32) (local $nb i32) (local $blockBytes i32) (local $g i32) (local $rec i32)
    (local $th f64) (local $x f64) (local $bit i32) (local $missingRight i32) (local $right i32)
    (local $po i32) (local $lo i32) (local $ro i32) (local $p i32) (local $i i32) (local $xp i32)
    (local $d i32) (local $slots i32) (local $table i32) (local $co i32) (local $vb i32) (local $e i32)
    (local $k i32) (local $at i32) (local $rowEnd i32)
    ;; Rows in blocks of 256: a block's cold masks (4 bytes x 256 per node) stay in cache.
    (local.set $blockBytes (i32.const 1024))
    (block $rowsDone
      (loop $eachBlock
        (br_if $rowsDone (i32.ge_u (local.get $r0) (local.get $nRows)))
        (local.set $nb (i32.sub (local.get $nRows) (local.get $r0)))
        (if (i32.gt_u (local.get $nb) (i32.const 256)) (then (local.set $nb (i32.const 256))))
        ;; The root's cold set is empty.
        (memory.fill (local.get $cold) (i32.const 0) (i32.shl (local.get $nb) (i32.const 2)))
        ;; Internal nodes, parents before children: each child's cold mask is its parent's, plus the
        ;; node's bit when the row goes the other way.
        (local.set $g (i32.const 0))
        (block $internalDone
          (loop $eachInternal
            (br_if $internalDone (i32.ge_u (local.get $g) (local.get $nInternal)))
            (local.set $rec (i32.add (local.get $internal) (i32.shl (local.get $g) (i32.const 5))))
            (local.set $th (f64.load (local.get $rec)))
            (local.set $xp (i32.add (i32.add (local.get $rows) (i32.mul (local.get $r0) (local.get $rowBytes))) (i32.load offset=8 (local.get $rec))))
            (local.set $po (i32.add (local.get $cold) (i32.mul (local.get $g) (local.get $blockBytes))))
            (local.set $lo (i32.add (local.get $cold) (i32.mul (i32.load offset=12 (local.get $rec)) (local.get $blockBytes))))
            (local.set $ro (i32.add (local.get $cold) (i32.mul (i32.load offset=16 (local.get $rec)) (local.get $blockBytes))))
            (local.set $bit (i32.load offset=20 (local.get $rec)))
            (local.set $missingRight (i32.load offset=24 (local.get $rec)))
            (local.set $i (i32.const 0))
            (block $nodeRowsDone
              (loop $eachNodeRow
                (br_if $nodeRowsDone (i32.ge_u (local.get $i) (local.get $nb)))
                (local.set $at (i32.shl (local.get $i) (i32.const 2)))
                (local.set $p (i32.load (i32.add (local.get $po) (local.get $at))))
                (local.set $x (f64.load (local.get $xp)))
                (local.set $right
                  (select (local.get $missingRight) (i32.sub (i32.const 1) (f64.le (local.get $x) (local.get $th))) (f64.ne (local.get $x) (local.get $x))))
                (i32.store (i32.add (local.get $lo) (local.get $at))
                  (i32.or (local.get $p) (i32.and (local.get $bit) (i32.sub (i32.const 0) (local.get $right)))))
                (i32.store (i32.add (local.get $ro) (local.get $at))
                  (i32.or (local.get $p) (i32.and (local.get $bit) (i32.sub (local.get $right) (i32.const 1)))))
                (local.set $xp (i32.add (local.get $xp) (local.get $rowBytes)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $eachNodeRow)))
            (local.set $g (i32.add (local.get $g) (i32.const 1)))
            (br $eachInternal)))
        ;; Leaves: for each row, the table row of its cold set, one add per slot.
        (local.set $g (i32.const 0))
        (block $leavesDone
          (loop $eachLeaf
            (br_if $leavesDone (i32.ge_u (local.get $g) (local.get $nLeaves)))
            (local.set $rec (i32.add (local.get $leaves) (i32.shl (local.get $g) (i32.const 4))))
            (local.set $d (i32.load (local.get $rec)))
            (if (i32.ne (local.get $d) (i32.const 0))
              (then
                (local.set $slots (i32.load offset=4 (local.get $rec)))
                (local.set $table (i32.load offset=8 (local.get $rec)))
                (local.set $co (i32.add (local.get $cold) (i32.mul (i32.add (local.get $nInternal) (local.get $g)) (local.get $blockBytes))))
                (local.set $vb (i32.add (local.get $values) (i32.mul (local.get $r0) (local.get $rowBytes))))
                (local.set $rowEnd (i32.add (local.get $co) (i32.shl (local.get $nb) (i32.const 2))))
                (block $leafRowsDone
                  (loop $eachLeafRow
                    (br_if $leafRowsDone (i32.ge_u (local.get $co) (local.get $rowEnd)))
                    ;; e = table + 8 d C
                    (local.set $e (i32.add (local.get $table) (i32.shl (i32.mul (i32.load (local.get $co)) (local.get $d)) (i32.const 3))))
                    (local.set $k (i32.const 0))
                    (block $slotsDone
                      (loop $eachSlot
                        (local.set $at (i32.add (local.get $vb) (i32.load (i32.add (local.get $slots) (i32.shl (local.get $k) (i32.const 2))))))
                        (f64.store (local.get $at)
                          (f64.add (f64.load (local.get $at)) (f64.load (i32.add (local.get $e) (i32.shl (local.get $k) (i32.const 3))))))
                        (local.set $k (i32.add (local.get $k) (i32.const 1)))
                        (br_if $eachSlot (i32.lt_u (local.get $k) (local.get $d)))))
                    (local.set $co (i32.add (local.get $co) (i32.const 4)))
                    (local.set $vb (i32.add (local.get $vb) (local.get $rowBytes)))
                    (br $eachLeafRow)))))
            (local.set $g (i32.add (local.get $g) (i32.const 1)))
            (br $eachLeaf)))
        (local.set $r0 (i32.add (local.get $r0) (i32.const 256)))
        (br $eachBlock)))))
