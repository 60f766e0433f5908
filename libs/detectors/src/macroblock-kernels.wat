;; The macroblocking features' two pixel passes (macroblock-features.ts), in WebAssembly with
;; 128-bit SIMD. They compute the same integer sums as the scalar passes they replaced, on the
;; same lattice points, so the features are bit for bit the same (macroblock-kernels.spec.ts checks
;; them against a plain TypeScript version of the sums on real decoded frames).
;;
;; Edit this file, then run `npm run build:wasm`: it writes macroblock-kernels-wasm.ts, which the
;; library loads, and a spec fails while the two disagree.
;;
;; Both passes read a 16-byte row segment and keep its even bytes (the lattice points, 2 pixels
;; apart), so a plane needs 16 readable bytes after its end.
(module
  (memory (export "memory") 1)

  ;; Σ of 4 32-bit lanes.
  (func $sum32 (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))

  ;; The texture pass. For every 16×16 block (row-major), on its 64 lattice points (rows 1, 3, …,
  ;; 15 and columns 1, 3, …, 15 of the block), writes four i32 at out + 16 × block:
  ;; Σ |p − the pixel to the left|, Σ |p − the pixel above|, Σ |p − q| (the previous frame), 0.
  (func (export "texture") (param $p i32) (param $q i32) (param $w i32) (param $bw i32) (param $bh i32) (param $out i32)
    (local $by i32) (local $bx i32) (local $j i32) (local $r i32) (local $row i32)
    (local $w2 i32) (local $mask v128) (local $a v128) (local $x v128) (local $across v128) (local $down v128) (local $change v128) (local $t1 v128) (local $t2 v128)
    (local.set $mask (i16x8.splat (i32.const 0x00ff)))
    (local.set $w2 (i32.shl (local.get $w) (i32.const 1)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $by) (local.get $bh)))
        ;; the block row's first lattice point: (by × 16 + 1, 1)
        (local.set $row (i32.add (i32.mul (i32.add (i32.shl (local.get $by) (i32.const 4)) (i32.const 1)) (local.get $w)) (i32.const 1)))
        (local.set $bx (i32.const 0))
        (block $blocks_done
          (loop $blocks
            (br_if $blocks_done (i32.ge_u (local.get $bx) (local.get $bw)))
            (local.set $across (v128.const i32x4 0 0 0 0))
            (local.set $down (v128.const i32x4 0 0 0 0))
            (local.set $change (v128.const i32x4 0 0 0 0))
            (local.set $r (i32.add (local.get $row) (i32.shl (local.get $bx) (i32.const 4))))
            (local.set $j (i32.const 0))
            (loop $lattice_rows
              ;; |a − x| per byte is max_u − min_u; its even bytes (the lattice points) are kept as
              ;; 16-bit lanes, which 8 rows of 255 cannot overflow.
              (local.set $a (v128.load (i32.add (local.get $p) (local.get $r))))
              (local.set $x (v128.load (i32.add (local.get $p) (i32.sub (local.get $r) (i32.const 1)))))
              (local.set $across (i16x8.add (local.get $across)
                (v128.and (i8x16.sub (i8x16.max_u (local.get $a) (local.get $x)) (i8x16.min_u (local.get $a) (local.get $x))) (local.get $mask))))
              (local.set $x (v128.load (i32.add (local.get $p) (i32.sub (local.get $r) (local.get $w)))))
              (local.set $down (i16x8.add (local.get $down)
                (v128.and (i8x16.sub (i8x16.max_u (local.get $a) (local.get $x)) (i8x16.min_u (local.get $a) (local.get $x))) (local.get $mask))))
              (local.set $x (v128.load (i32.add (local.get $q) (local.get $r))))
              (local.set $change (i16x8.add (local.get $change)
                (v128.and (i8x16.sub (i8x16.max_u (local.get $a) (local.get $x)) (i8x16.min_u (local.get $a) (local.get $x))) (local.get $mask))))
              (local.set $r (i32.add (local.get $r) (local.get $w2)))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $lattice_rows (i32.lt_u (local.get $j) (i32.const 8))))
            ;; Σ of each accumulator's lanes, side by side: [across, down, change, 0].
            (local.set $across (i32x4.extadd_pairwise_i16x8_u (local.get $across)))
            (local.set $down (i32x4.extadd_pairwise_i16x8_u (local.get $down)))
            (local.set $change (i32x4.extadd_pairwise_i16x8_u (local.get $change)))
            (local.set $t1 (i32x4.add
                (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $across) (local.get $down))
                (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $across) (local.get $down))))
              (local.set $t2 (i32x4.add
                (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $change) (v128.const i32x4 0 0 0 0))
                (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $change) (v128.const i32x4 0 0 0 0))))
              (v128.store (local.get $out) (i32x4.add
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $t1) (local.get $t2))
                (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $t1) (local.get $t2))))
            (local.set $out (i32.add (local.get $out) (i32.const 16)))
            (local.set $bx (i32.add (local.get $bx) (i32.const 1)))
            (br $blocks)))
        (local.set $by (i32.add (local.get $by) (i32.const 1)))
        (br $rows))))

;; The edge pass. For every block it tests its left edge (not in the first column), on rows 0, 2,
  ;; …, 14 of the block, with a the block's first pixel, b and d the two to its left and c the one
  ;; to its right, and its top edge (not in the first row), on columns 0, 2, …, 14, with b and d
  ;; the two pixels above and c the one below. An edge is an artifact when, summed over its 8
  ;; points, step = Σ |a − b| and beside = Σ |c − a| + |b − d| give step / 8 > 6 and
  ;; step / 8 > 2.5 × (beside / 16 + 1), that is step > 48 and 4 step > 5 beside + 80; a change
  ;; edge is the same test on the difference from q (da = a − q[a], …). Writes one byte per block
  ;; at flags + block: 1 left artifact, 2 left change, 4 top artifact, 8 top change. Writes two i32
  ;; at totals: Σ |a − q[a]| and Σ beside, both over the left edges.
  (func (export "edges") (param $p i32) (param $q i32) (param $w i32) (param $bw i32) (param $bh i32) (param $flags i32) (param $totals i32)
    (local $by i32) (local $bx i32) (local $base i32) (local $r i32) (local $g i32) (local $w2 i32)
    (local $mask v128) (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $da v128) (local $db v128) (local $dc v128) (local $dd v128)
    (local $pv v128) (local $qv v128) (local $x v128) (local $dv v128) (local $t1 v128) (local $t2 v128)
    (local $s v128) (local $n v128) (local $ds v128) (local $dn v128)
    (local $ts v128) (local $tn v128) (local $tds v128) (local $tdn v128)
    (local $steps v128) (local $besides v128) (local $changeTotal v128) (local $besideTotal v128)
    (local.set $mask (i16x8.splat (i32.const 0x00ff)))
    (local.set $w2 (i32.shl (local.get $w) (i32.const 1)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $by) (local.get $bh)))
        (local.set $bx (i32.const 0))
        (block $blocks_done
          (loop $blocks
            (br_if $blocks_done (i32.ge_u (local.get $bx) (local.get $bw)))
            ;; the block's first pixel
            (local.set $base (i32.add (i32.mul (i32.shl (local.get $by) (i32.const 4)) (local.get $w)) (i32.shl (local.get $bx) (i32.const 4))))
            (local.set $s (v128.const i32x4 0 0 0 0))
            (local.set $n (v128.const i32x4 0 0 0 0))
            (local.set $ds (v128.const i32x4 0 0 0 0))
            (local.set $dn (v128.const i32x4 0 0 0 0))
            (local.set $ts (v128.const i32x4 0 0 0 0))
            (local.set $tn (v128.const i32x4 0 0 0 0))
            (local.set $tds (v128.const i32x4 0 0 0 0))
            (local.set $tdn (v128.const i32x4 0 0 0 0))
            (if (i32.gt_u (local.get $bx) (i32.const 0))
              (then
                ;; Left edge, 4 rows at a time: each row's d b a c (the 4 bytes from a − 2) in an i32 lane.
                (local.set $r (i32.sub (local.get $base) (i32.const 2)))
                (local.set $g (i32.const 0))
                (loop $groups
                  (local.set $pv (v128.load32_zero (i32.add (local.get $p) (local.get $r))))
                  (local.set $qv (v128.load32_zero (i32.add (local.get $q) (local.get $r))))
                  (local.set $r (i32.add (local.get $r) (local.get $w2)))
                  (local.set $pv (v128.load32_lane 1 (i32.add (local.get $p) (local.get $r)) (local.get $pv)))
                  (local.set $qv (v128.load32_lane 1 (i32.add (local.get $q) (local.get $r)) (local.get $qv)))
                  (local.set $r (i32.add (local.get $r) (local.get $w2)))
                  (local.set $pv (v128.load32_lane 2 (i32.add (local.get $p) (local.get $r)) (local.get $pv)))
                  (local.set $qv (v128.load32_lane 2 (i32.add (local.get $q) (local.get $r)) (local.get $qv)))
                  (local.set $r (i32.add (local.get $r) (local.get $w2)))
                  (local.set $pv (v128.load32_lane 3 (i32.add (local.get $p) (local.get $r)) (local.get $pv)))
                  (local.set $qv (v128.load32_lane 3 (i32.add (local.get $q) (local.get $r)) (local.get $qv)))
                  (local.set $r (i32.add (local.get $r) (local.get $w2)))
                  ;; A lane's bytes are d b a c; shifted by one byte, b a c 0. Their |differences|:
                  ;; |d − b| (beside), |b − a| (step, kept in bits 8–15), |a − c| (beside), junk.
                  (local.set $x (i32x4.shr_u (local.get $pv) (i32.const 8)))
                  (local.set $x (i8x16.sub (i8x16.max_u (local.get $pv) (local.get $x)) (i8x16.min_u (local.get $pv) (local.get $x))))
                  (local.set $s (i32x4.add (local.get $s) (v128.and (local.get $x) (v128.const i32x4 0x0000ff00 0x0000ff00 0x0000ff00 0x0000ff00))))
                  (local.set $n (i32x4.add (local.get $n)
                    (i32x4.extadd_pairwise_i16x8_u (v128.and (local.get $x) (v128.const i32x4 0x00ff00ff 0x00ff00ff 0x00ff00ff 0x00ff00ff)))))
                  ;; The same on p − q, in 16-bit lanes, two rows per vector (dd db da dc each); the
                  ;; |da − db| step is kept in bits 16–31 of lanes 0 and 2; |da| is summed for the total.
                  (local.set $dv (i16x8.sub (i16x8.extend_low_i8x16_u (local.get $pv)) (i16x8.extend_low_i8x16_u (local.get $qv))))
                  (local.set $x (i16x8.abs (i16x8.sub (local.get $dv) (i64x2.shr_u (local.get $dv) (i32.const 16)))))
                  (local.set $ds (i32x4.add (local.get $ds) (v128.and (local.get $x) (v128.const i32x4 0xffff0000 0 0xffff0000 0))))
                  (local.set $dn (i32x4.add (local.get $dn) (v128.and (local.get $x) (v128.const i32x4 0x0000ffff 0x0000ffff 0x0000ffff 0x0000ffff))))
                  (local.set $changeTotal (i32x4.add (local.get $changeTotal) (v128.and (i16x8.abs (local.get $dv)) (v128.const i32x4 0 0x0000ffff 0 0x0000ffff))))
                  (local.set $dv (i16x8.sub (i16x8.extend_high_i8x16_u (local.get $pv)) (i16x8.extend_high_i8x16_u (local.get $qv))))
                  (local.set $x (i16x8.abs (i16x8.sub (local.get $dv) (i64x2.shr_u (local.get $dv) (i32.const 16)))))
                  (local.set $ds (i32x4.add (local.get $ds) (v128.and (local.get $x) (v128.const i32x4 0xffff0000 0 0xffff0000 0))))
                  (local.set $dn (i32x4.add (local.get $dn) (v128.and (local.get $x) (v128.const i32x4 0x0000ffff 0x0000ffff 0x0000ffff 0x0000ffff))))
                  (local.set $changeTotal (i32x4.add (local.get $changeTotal) (v128.and (i16x8.abs (local.get $dv)) (v128.const i32x4 0 0x0000ffff 0 0x0000ffff))))
                  (local.set $g (i32.add (local.get $g) (i32.const 1)))
                  (br_if $groups (i32.lt_u (local.get $g) (i32.const 2))))
                (local.set $besideTotal (i32x4.add (local.get $besideTotal) (local.get $n)))))
            (if (i32.gt_u (local.get $by) (i32.const 0))
              (then
                ;; Top edge: rows y0 − 2, y0 − 1, y0, y0 + 1 at columns 0, 2, …, 14 (the even bytes).
                (local.set $a (v128.load (i32.add (local.get $p) (local.get $base))))
                (local.set $b (v128.load (i32.add (local.get $p) (i32.sub (local.get $base) (local.get $w)))))
                (local.set $c (v128.load (i32.add (local.get $p) (i32.add (local.get $base) (local.get $w)))))
                (local.set $d (v128.load (i32.add (local.get $p) (i32.sub (local.get $base) (local.get $w2)))))
                (local.set $ts (i32x4.extadd_pairwise_i16x8_u
                  (v128.and (i8x16.sub (i8x16.max_u (local.get $a) (local.get $b)) (i8x16.min_u (local.get $a) (local.get $b))) (local.get $mask))))
                (local.set $tn (i32x4.extadd_pairwise_i16x8_u (i16x8.add
                  (v128.and (i8x16.sub (i8x16.max_u (local.get $c) (local.get $a)) (i8x16.min_u (local.get $c) (local.get $a))) (local.get $mask))
                  (v128.and (i8x16.sub (i8x16.max_u (local.get $b) (local.get $d)) (i8x16.min_u (local.get $b) (local.get $d))) (local.get $mask)))))
                (local.set $x (v128.load (i32.add (local.get $q) (local.get $base))))
                (local.set $da (i16x8.sub (v128.and (local.get $a) (local.get $mask)) (v128.and (local.get $x) (local.get $mask))))
                (local.set $x (v128.load (i32.add (local.get $q) (i32.sub (local.get $base) (local.get $w)))))
                (local.set $db (i16x8.sub (v128.and (local.get $b) (local.get $mask)) (v128.and (local.get $x) (local.get $mask))))
                (local.set $x (v128.load (i32.add (local.get $q) (i32.add (local.get $base) (local.get $w)))))
                (local.set $dc (i16x8.sub (v128.and (local.get $c) (local.get $mask)) (v128.and (local.get $x) (local.get $mask))))
                (local.set $x (v128.load (i32.add (local.get $q) (i32.sub (local.get $base) (local.get $w2)))))
                (local.set $dd (i16x8.sub (v128.and (local.get $d) (local.get $mask)) (v128.and (local.get $x) (local.get $mask))))
                (local.set $tds (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (local.get $da) (local.get $db)))))
                (local.set $tdn (i32x4.extadd_pairwise_i16x8_u (i16x8.add
                  (i16x8.abs (i16x8.sub (local.get $dc) (local.get $da)))
                  (i16x8.abs (i16x8.sub (local.get $db) (local.get $dd))))))))
            ;; The four edges' steps and besides side by side (left, left change, top, top change),
            ;; tested at once; an edge not tested has step 0, which is no artifact.
            (local.set $t1 (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (i32x4.shr_u (local.get $s) (i32.const 8)) (i32x4.shr_u (local.get $ds) (i32.const 16)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (i32x4.shr_u (local.get $s) (i32.const 8)) (i32x4.shr_u (local.get $ds) (i32.const 16)))))
            (local.set $t2 (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ts) (local.get $tds))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ts) (local.get $tds))))
            (local.set $steps (i32x4.add
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $t1) (local.get $t2))
              (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $t1) (local.get $t2))))
            (local.set $t1 (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $n) (local.get $dn))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $n) (local.get $dn))))
            (local.set $t2 (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $tn) (local.get $tdn))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $tn) (local.get $tdn))))
            (local.set $besides (i32x4.add
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $t1) (local.get $t2))
              (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $t1) (local.get $t2))))
            (i32.store8 (local.get $flags) (i32x4.bitmask (v128.and
              (i32x4.gt_u (local.get $steps) (i32x4.splat (i32.const 48)))
              (i32x4.gt_u (i32x4.shl (local.get $steps) (i32.const 2))
                (i32x4.add (i32x4.mul (local.get $besides) (i32x4.splat (i32.const 5))) (i32x4.splat (i32.const 80)))))))
            (local.set $flags (i32.add (local.get $flags) (i32.const 1)))
            (local.set $bx (i32.add (local.get $bx) (i32.const 1)))
            (br $blocks)))
        (local.set $by (i32.add (local.get $by) (i32.const 1)))
        (br $rows)))
    (i32.store (local.get $totals) (call $sum32 (local.get $changeTotal)))
    (i32.store offset=4 (local.get $totals) (call $sum32 (local.get $besideTotal))))

  ;; The motion test's projection profiles (global-motion.ts measureProfiles): for x in
  ;; 0 … width − 2, col[x] = Σ over the rows listed at rows (nrows i32 offsets of a row's first
  ;; pixel) of |p[r + x + 1] − p[r + x]|, and col[width − 1] = 0; for y in 0 … height − 2,
  ;; row[y] = Σ over j < columns of |p[y·width + first + j·step + width] − p[y·width + first + j·step]|.
  (func (export "profiles") (param $p i32) (param $w i32) (param $h i32) (param $rows i32) (param $nrows i32)
    (param $first i32) (param $step i32) (param $columns i32) (param $col i32) (param $row i32)
    (local $x i32) (local $k i32) (local $r i32) (local $a i32) (local $b i32) (local $g i32) (local $y i32) (local $j i32)
    (local $d v128) (local $lo v128) (local $hi v128) (local $o i32)
    (memory.fill (local.get $col) (i32.const 0) (i32.shl (local.get $w) (i32.const 2)))
    (local.set $k (i32.const 0))
    (block $rows_done
      (loop $each_row
        (br_if $rows_done (i32.ge_u (local.get $k) (local.get $nrows)))
        (local.set $r (i32.add (local.get $p) (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $x (i32.const 0))
        ;; 16 columns at a time while x + 15 ≤ width − 2
        (block $simd_done
          (loop $chunks
            (br_if $simd_done (i32.gt_s (i32.add (local.get $x) (i32.const 17)) (local.get $w)))
            (local.set $lo (v128.load (i32.add (local.get $r) (local.get $x))))
            (local.set $hi (v128.load (i32.add (local.get $r) (i32.add (local.get $x) (i32.const 1)))))
            (local.set $d (i8x16.sub (i8x16.max_u (local.get $lo) (local.get $hi)) (i8x16.min_u (local.get $lo) (local.get $hi))))
            (local.set $lo (i16x8.extend_low_i8x16_u (local.get $d)))
            (local.set $hi (i16x8.extend_high_i8x16_u (local.get $d)))
            (local.set $o (i32.add (local.get $col) (i32.shl (local.get $x) (i32.const 2))))
            (v128.store (local.get $o) (i32x4.add (v128.load (local.get $o)) (i32x4.extend_low_i16x8_u (local.get $lo))))
            (v128.store offset=16 (local.get $o) (i32x4.add (v128.load offset=16 (local.get $o)) (i32x4.extend_high_i16x8_u (local.get $lo))))
            (v128.store offset=32 (local.get $o) (i32x4.add (v128.load offset=32 (local.get $o)) (i32x4.extend_low_i16x8_u (local.get $hi))))
            (v128.store offset=48 (local.get $o) (i32x4.add (v128.load offset=48 (local.get $o)) (i32x4.extend_high_i16x8_u (local.get $hi))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (br $chunks)))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_s (local.get $x) (i32.sub (local.get $w) (i32.const 1))))
            (local.set $a (i32.load8_u (i32.add (local.get $r) (local.get $x))))
            (local.set $b (i32.load8_u offset=1 (i32.add (local.get $r) (local.get $x))))
            (local.set $o (i32.add (local.get $col) (i32.shl (local.get $x) (i32.const 2))))
            (i32.store (local.get $o) (i32.add (i32.load (local.get $o)) (call $abs (i32.sub (local.get $a) (local.get $b)))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $tail)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $each_row)))
    (local.set $y (i32.const 0))
    (local.set $r (i32.add (local.get $p) (local.get $first)))
    (block $done
      (loop $rows_down
        (br_if $done (i32.ge_s (local.get $y) (i32.sub (local.get $h) (i32.const 1))))
        (local.set $g (i32.const 0))
        (local.set $a (local.get $r))
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $j) (local.get $columns)))
            (local.set $g (i32.add (local.get $g)
              (call $abs (i32.sub (i32.load8_u (i32.add (local.get $a) (local.get $w))) (i32.load8_u (local.get $a))))))
            (local.set $a (i32.add (local.get $a) (local.get $step)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $cols)))
        (i32.store (i32.add (local.get $row) (i32.shl (local.get $y) (i32.const 2))) (local.get $g))
        (local.set $r (i32.add (local.get $r) (local.get $w)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows_down))))

  (func $abs (param $v i32) (result i32)
    (select (local.get $v) (i32.sub (i32.const 0) (local.get $v)) (i32.ge_s (local.get $v) (i32.const 0))))

  ;; The motion test's residual count (global-motion.ts countUnexplained): for each of the count
  ;; blocks listed at changed (i32 block indices), its bar is max(5, 0.5 × texture[block]) (f32 at
  ;; texture); a block whose 16 × 16 area one pixel in, moved by (dx, dy), leaves the picture is
  ;; explained; else it is unexplained when its mean |p − q moved| is above the bar on 4 points
  ;; (rows and columns 1 and 9 of the block) and on the 64 lattice points. Counts up to stopAbove + 1.
  (func (export "unexplained") (param $p i32) (param $q i32) (param $w i32) (param $h i32) (param $bw i32)
    (param $changed i32) (param $count i32) (param $texture i32) (param $dx i32) (param $dy i32) (param $stopAbove i32) (result i32)
    (local $k i32) (local $i i32) (local $bx i32) (local $by i32) (local $x0 i32) (local $y0 i32) (local $shift i32)
    (local $bar f64) (local $sum i32) (local $o i32) (local $j i32) (local $found i32)
    (local $mask v128) (local $acc v128) (local $a v128) (local $b v128)
    (local.set $mask (i16x8.splat (i32.const 0x00ff)))
    (local.set $shift (i32.add (i32.mul (local.get $dy) (local.get $w)) (local.get $dx)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_s (local.get $k) (local.get $count)))
        (local.set $i (i32.load (i32.add (local.get $changed) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (local.set $by (i32.div_u (local.get $i) (local.get $bw)))
        (local.set $bx (i32.sub (local.get $i) (i32.mul (local.get $by) (local.get $bw))))
        (local.set $x0 (i32.add (i32.shl (local.get $bx) (i32.const 4)) (i32.const 1)))
        (local.set $y0 (i32.add (i32.shl (local.get $by) (i32.const 4)) (i32.const 1)))
        ;; moved partly out of the picture: explained
        (br_if $blocks (i32.lt_s (i32.add (local.get $x0) (local.get $dx)) (i32.const 0)))
        (br_if $blocks (i32.ge_s (i32.add (i32.add (local.get $x0) (i32.const 14)) (local.get $dx)) (local.get $w)))
        (br_if $blocks (i32.lt_s (i32.add (local.get $y0) (local.get $dy)) (i32.const 0)))
        (br_if $blocks (i32.ge_s (i32.add (i32.add (local.get $y0) (i32.const 14)) (local.get $dy)) (local.get $h)))
        (local.set $bar (f64.max (f64.const 5)
          (f64.mul (f64.const 0.5) (f64.promote_f32 (f32.load (i32.add (local.get $texture) (i32.shl (local.get $i) (i32.const 2))))))))
        ;; 4 points first
        (local.set $o (i32.add (i32.mul (local.get $y0) (local.get $w)) (local.get $x0)))
        (local.set $sum (i32.add
          (i32.add
            (call $abs (i32.sub (i32.load8_u (i32.add (local.get $p) (local.get $o))) (i32.load8_u (i32.add (local.get $q) (i32.add (local.get $o) (local.get $shift))))))
            (call $abs (i32.sub (i32.load8_u offset=8 (i32.add (local.get $p) (local.get $o))) (i32.load8_u offset=8 (i32.add (local.get $q) (i32.add (local.get $o) (local.get $shift)))))))
          (i32.add
            (call $abs (i32.sub (i32.load8_u (i32.add (local.get $p) (i32.add (local.get $o) (i32.shl (local.get $w) (i32.const 3)))))
              (i32.load8_u (i32.add (local.get $q) (i32.add (i32.add (local.get $o) (i32.shl (local.get $w) (i32.const 3))) (local.get $shift))))))
            (call $abs (i32.sub (i32.load8_u offset=8 (i32.add (local.get $p) (i32.add (local.get $o) (i32.shl (local.get $w) (i32.const 3)))))
              (i32.load8_u offset=8 (i32.add (local.get $q) (i32.add (i32.add (local.get $o) (i32.shl (local.get $w) (i32.const 3))) (local.get $shift)))))))))
        (br_if $blocks (f64.le (f64.div (f64.convert_i32_u (local.get $sum)) (f64.const 4)) (local.get $bar)))
        ;; then the 64 lattice points: 8 rows of 16 bytes, the even ones
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (loop $lattice
          (local.set $a (v128.load (i32.add (local.get $p) (local.get $o))))
          (local.set $b (v128.load (i32.add (local.get $q) (i32.add (local.get $o) (local.get $shift)))))
          (local.set $acc (i16x8.add (local.get $acc)
            (v128.and (i8x16.sub (i8x16.max_u (local.get $a) (local.get $b)) (i8x16.min_u (local.get $a) (local.get $b))) (local.get $mask))))
          (local.set $o (i32.add (local.get $o) (i32.shl (local.get $w) (i32.const 1))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $lattice (i32.lt_u (local.get $j) (i32.const 8))))
        (local.set $sum (call $sum32 (i32x4.extadd_pairwise_i16x8_u (local.get $acc))))
        (br_if $blocks (f64.le (f64.div (f64.convert_i32_u (local.get $sum)) (f64.const 64)) (local.get $bar)))
        (local.set $found (i32.add (local.get $found) (i32.const 1)))
        (br_if $done (i32.gt_s (local.get $found) (local.get $stopAbove)))
        (br $blocks)))
    (local.get $found))
)
