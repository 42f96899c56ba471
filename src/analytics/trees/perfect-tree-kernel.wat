;; Scoring kernel for tree ensembles in the `perfect` layout (compiled-tree-ensemble.ts), assembled
;; by `npm run assemble:wasm` into perfect-tree-kernel-wasm.ts. WebAssembly because the same loop
;; in JavaScript pays a bounds check on each of its three loads per level and a slower address
;; computation: measured 2.3x faster on 100 trees of depth 6 (BENCHMARKS.md).
;;
;; Memory, all little-endian, addresses in bytes (the caller lays it out, wasm-tree-kernel.ts):
;;   node records, 16 bytes each: f64 bound, i32 byte offset of the feature in a row (8 x feature), i32 unused
;;   leaf values, f64
;;   tree records, 12 bytes each: i32 first node, i32 leaf base (leaf of heap position h: leaf base + h), i32 depth
;;   rows, row-major f64, `rowBytes` apart; margins, f64, one per row, added to.
;; A walk: h = 0, then depth times h = 2h + 1 (x <= bound, left) or 2h + 2 (right); the leaf is at h.
;; NaN fails `<=` and goes right: the caller uses this kernel only when no split sends NaN left or
;; the rows hold no NaN.
(module
  (memory (export "memory") 1)
  (func (export "scoreRows")
    (param $nodes i32) (param $leaves i32) (param $trees i32) (param $nTrees i32)
    (param $rows i32) (param $rowBytes i32) (param $nRows i32) (param $out i32)
    (local $t i32) (local $record i32) (local $tree i32) (local $leaf i32) (local $depth i32)
    (local $r i32) (local $d i32) (local $k i32) (local $o i32) (local $row i32) (local $h i32)
    (local $row0 i32) (local $h0 i32)
    (local $row1 i32) (local $h1 i32)
    (local $row2 i32) (local $h2 i32)
    (local $row3 i32) (local $h3 i32)
    (local $row4 i32) (local $h4 i32)
    (local $row5 i32) (local $h5 i32)
    (local $row6 i32) (local $h6 i32)
    (local $row7 i32) (local $h7 i32)
    (block $treesDone
      (loop $eachTree
        (br_if $treesDone (i32.ge_u (local.get $t) (local.get $nTrees)))
        (local.set $record (i32.add (local.get $trees) (i32.mul (local.get $t) (i32.const 12))))
        (local.set $tree (i32.add (local.get $nodes) (i32.shl (i32.load (local.get $record)) (i32.const 4))))
        (local.set $leaf (i32.add (local.get $leaves) (i32.shl (i32.load offset=4 (local.get $record)) (i32.const 3))))
        (local.set $depth (i32.load offset=8 (local.get $record)))
        (local.set $r (i32.const 0))
        ;; Eight rows walk the tree in lockstep: each walk is a chain of dependent loads, and eight
        ;; independent chains keep the load units busy (measured: 4 rows 1.3x slower, 16 no faster).
        (block $groupsDone
          (loop $eachGroup
            (br_if $groupsDone (i32.gt_u (i32.add (local.get $r) (i32.const 8)) (local.get $nRows)))
            (local.set $row0 (i32.add (local.get $rows) (i32.mul (local.get $r) (local.get $rowBytes))))
            (local.set $row1 (i32.add (local.get $row0) (local.get $rowBytes)))
            (local.set $row2 (i32.add (local.get $row1) (local.get $rowBytes)))
            (local.set $row3 (i32.add (local.get $row2) (local.get $rowBytes)))
            (local.set $row4 (i32.add (local.get $row3) (local.get $rowBytes)))
            (local.set $row5 (i32.add (local.get $row4) (local.get $rowBytes)))
            (local.set $row6 (i32.add (local.get $row5) (local.get $rowBytes)))
            (local.set $row7 (i32.add (local.get $row6) (local.get $rowBytes)))
            (local.set $h0 (i32.const 0)) (local.set $h1 (i32.const 0)) (local.set $h2 (i32.const 0)) (local.set $h3 (i32.const 0)) (local.set $h4 (i32.const 0)) (local.set $h5 (i32.const 0)) (local.set $h6 (i32.const 0)) (local.set $h7 (i32.const 0))
            (local.set $d (local.get $depth))
            (block $levelsDone
              (loop $eachLevel
                (br_if $levelsDone (i32.eqz (local.get $d)))
                ;; row i: h_i = 2 h_i + 2 - (x <= bound), x = X[row i][feature of node h_i]
                (local.set $k (i32.add (local.get $tree) (i32.shl (local.get $h0) (i32.const 4))))
                (local.set $h0 (i32.sub (i32.add (i32.shl (local.get $h0) (i32.const 1)) (i32.const 2))
                  (f64.le (f64.load (i32.add (local.get $row0) (i32.load offset=8 (local.get $k)))) (f64.load (local.get $k)))))
                (local.set $k (i32.add (local.get $tree) (i32.shl (local.get $h1) (i32.const 4))))
                (local.set $h1 (i32.sub (i32.add (i32.shl (local.get $h1) (i32.const 1)) (i32.const 2))
                  (f64.le (f64.load (i32.add (local.get $row1) (i32.load offset=8 (local.get $k)))) (f64.load (local.get $k)))))
                (local.set $k (i32.add (local.get $tree) (i32.shl (local.get $h2) (i32.const 4))))
                (local.set $h2 (i32.sub (i32.add (i32.shl (local.get $h2) (i32.const 1)) (i32.const 2))
                  (f64.le (f64.load (i32.add (local.get $row2) (i32.load offset=8 (local.get $k)))) (f64.load (local.get $k)))))
                (local.set $k (i32.add (local.get $tree) (i32.shl (local.get $h3) (i32.const 4))))
                (local.set $h3 (i32.sub (i32.add (i32.shl (local.get $h3) (i32.const 1)) (i32.const 2))
                  (f64.le (f64.load (i32.add (local.get $row3) (i32.load offset=8 (local.get $k)))) (f64.load (local.get $k)))))
                (local.set $k (i32.add (local.get $tree) (i32.shl (local.get $h4) (i32.const 4))))
                (local.set $h4 (i32.sub (i32.add (i32.shl (local.get $h4) (i32.const 1)) (i32.const 2))
                  (f64.le (f64.load (i32.add (local.get $row4) (i32.load offset=8 (local.get $k)))) (f64.load (local.get $k)))))
                (local.set $k (i32.add (local.get $tree) (i32.shl (local.get $h5) (i32.const 4))))
                (local.set $h5 (i32.sub (i32.add (i32.shl (local.get $h5) (i32.const 1)) (i32.const 2))
                  (f64.le (f64.load (i32.add (local.get $row5) (i32.load offset=8 (local.get $k)))) (f64.load (local.get $k)))))
                (local.set $k (i32.add (local.get $tree) (i32.shl (local.get $h6) (i32.const 4))))
                (local.set $h6 (i32.sub (i32.add (i32.shl (local.get $h6) (i32.const 1)) (i32.const 2))
                  (f64.le (f64.load (i32.add (local.get $row6) (i32.load offset=8 (local.get $k)))) (f64.load (local.get $k)))))
                (local.set $k (i32.add (local.get $tree) (i32.shl (local.get $h7) (i32.const 4))))
                (local.set $h7 (i32.sub (i32.add (i32.shl (local.get $h7) (i32.const 1)) (i32.const 2))
                  (f64.le (f64.load (i32.add (local.get $row7) (i32.load offset=8 (local.get $k)))) (f64.load (local.get $k)))))
                (local.set $d (i32.sub (local.get $d) (i32.const 1)))
                (br $eachLevel)))
            (local.set $o (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 3))))
            (f64.store offset=0 (local.get $o) (f64.add (f64.load offset=0 (local.get $o)) (f64.load (i32.add (local.get $leaf) (i32.shl (local.get $h0) (i32.const 3))))))
            (f64.store offset=8 (local.get $o) (f64.add (f64.load offset=8 (local.get $o)) (f64.load (i32.add (local.get $leaf) (i32.shl (local.get $h1) (i32.const 3))))))
            (f64.store offset=16 (local.get $o) (f64.add (f64.load offset=16 (local.get $o)) (f64.load (i32.add (local.get $leaf) (i32.shl (local.get $h2) (i32.const 3))))))
            (f64.store offset=24 (local.get $o) (f64.add (f64.load offset=24 (local.get $o)) (f64.load (i32.add (local.get $leaf) (i32.shl (local.get $h3) (i32.const 3))))))
            (f64.store offset=32 (local.get $o) (f64.add (f64.load offset=32 (local.get $o)) (f64.load (i32.add (local.get $leaf) (i32.shl (local.get $h4) (i32.const 3))))))
            (f64.store offset=40 (local.get $o) (f64.add (f64.load offset=40 (local.get $o)) (f64.load (i32.add (local.get $leaf) (i32.shl (local.get $h5) (i32.const 3))))))
            (f64.store offset=48 (local.get $o) (f64.add (f64.load offset=48 (local.get $o)) (f64.load (i32.add (local.get $leaf) (i32.shl (local.get $h6) (i32.const 3))))))
            (f64.store offset=56 (local.get $o) (f64.add (f64.load offset=56 (local.get $o)) (f64.load (i32.add (local.get $leaf) (i32.shl (local.get $h7) (i32.const 3))))))
            (local.set $r (i32.add (local.get $r) (i32.const 8)))
            (br $eachGroup)))
        ;; The last rows (fewer than eight), one at a time.
        (block $restDone
          (loop $eachRest
            (br_if $restDone (i32.ge_u (local.get $r) (local.get $nRows)))
            (local.set $row (i32.add (local.get $rows) (i32.mul (local.get $r) (local.get $rowBytes))))
            (local.set $h (i32.const 0))
            (local.set $d (local.get $depth))
            (block $levelsDone
              (loop $eachLevel
                (br_if $levelsDone (i32.eqz (local.get $d)))
                (local.set $k (i32.add (local.get $tree) (i32.shl (local.get $h) (i32.const 4))))
                (local.set $h (i32.sub (i32.add (i32.shl (local.get $h) (i32.const 1)) (i32.const 2))
                  (f64.le (f64.load (i32.add (local.get $row) (i32.load offset=8 (local.get $k)))) (f64.load (local.get $k)))))
                (local.set $d (i32.sub (local.get $d) (i32.const 1)))
                (br $eachLevel)))
            (local.set $o (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 3))))
            (f64.store (local.get $o) (f64.add (f64.load (local.get $o)) (f64.load (i32.add (local.get $leaf) (i32.shl (local.get $h) (i32.const 3))))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $eachRest)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $eachTree)))))
