;; The byte kernels of the parquet fast path (parquet-fast.ts), hand-written WebAssembly.
;; `scripts/build-kernel.ts` assembles this file into kernel-wasm.ts (a spec checks they agree).
;;
;; All pointers are offsets into the one exported memory, laid out by kernel.ts. The functions
;; read up to 64 bytes past the end of their input and write up to 64 bytes past the end of their
;; output (16-byte vector loads/stores instead of byte loops); kernel.ts leaves that much slack
;; after every region. Wasm memory is bounds-checked, so bad input can at worst make a function
;; return an error code or trap, never touch anything outside this memory.
(module
  (memory (export "memory") 1)

  ;; 1 once a content byte >= 0x80 was copied by $escape; read and cleared by takeHigh.
  (global $high (mut i32) (i32.const 0))

  ;; Escape letters for the control characters 0x00-0x1f (0: write \u00XX), at offset 0.
  (data (i32.const 8) "btn\00fr")
  ;; Lower-case hex digits, at offset 32.
  (data (i32.const 32) "0123456789abcdef")
  ;; Offsets 1024-2047: the snappy tag table, 256 i32 entries filled by $init: bits 0-7 the
  ;; element's length, 8-15 the input bytes it takes (tag included), bit 16 literal, bit 17 a
  ;; 2-byte offset (else 1 byte), bits 24-26 the offset's high bits (1-byte-offset copies).
  ;; Elements the fast path does not take (long literals, 4-byte offsets) are literals of length 255.
  ;; kernel.ts allocates from 2048 on.
  (func $init
    (local $tag i32) (local $n i32) (local $e i32)
    (loop $each
      (local.set $n (i32.shr_u (local.get $tag) (i32.const 2)))
      (block $set
        (if (i32.eqz (i32.and (local.get $tag) (i32.const 3))) (then
          ;; literal of n+1 bytes after the tag
          (local.set $e (select
            (i32.or (i32.or (i32.add (local.get $n) (i32.const 1)) (i32.shl (i32.add (local.get $n) (i32.const 2)) (i32.const 8))) (i32.const 0x10000))
            (i32.const 0x100ff)
            (i32.lt_u (local.get $n) (i32.const 60))))
          (br $set)))
        (if (i32.eq (i32.and (local.get $tag) (i32.const 3)) (i32.const 1)) (then
          (local.set $e (i32.or (i32.or (i32.add (i32.and (local.get $n) (i32.const 7)) (i32.const 4)) (i32.const 0x200))
            (i32.shl (i32.shr_u (local.get $tag) (i32.const 5)) (i32.const 24))))
          (br $set)))
        (if (i32.eq (i32.and (local.get $tag) (i32.const 3)) (i32.const 2)) (then
          (local.set $e (i32.or (i32.or (i32.add (local.get $n) (i32.const 1)) (i32.const 0x300)) (i32.const 0x20000)))
          (br $set)))
        (local.set $e (i32.const 0x100ff)))
      (i32.store offset=1024 (i32.shl (local.get $tag) (i32.const 2)) (local.get $e))
      (local.set $tag (i32.add (local.get $tag) (i32.const 1)))
      (br_if $each (i32.lt_u (local.get $tag) (i32.const 256)))))
  (start $init)

  (func (export "takeHigh") (result i32)
    (local $h i32)
    (local.set $h (global.get $high))
    (global.set $high (i32.const 0))
    (local.get $h))

  ;; Decompresses a raw snappy block: src[0..srcLen) -> dst[0..dstLen).
  ;; Returns 0, or: -1 bad length preamble, -2 preamble differs from dstLen, -3 input ends inside
  ;; an element, -4 output would overrun dstLen, -5 copy offset 0 or before the output start,
  ;; -6 output shorter than dstLen.
  (func (export "snappy") (param $src i32) (param $srcLen i32) (param $dst i32) (param $dstLen i32) (result i32)
    (local $srcEnd i32) (local $dstEnd i32) (local $op i32) (local $len i32) (local $shift i32) (local $b i32)
    (local $tag i32) (local $off i32) (local $n i32) (local $from i32) (local $k i32)
    (local $e i32) (local $w i32) (local $lit i32)
    (local.set $srcEnd (i32.add (local.get $src) (local.get $srcLen)))
    ;; preamble: the uncompressed length as a little-endian base-128 varint
    (block $lengthRead
      (loop $varint
        (if (i32.ge_u (local.get $src) (local.get $srcEnd)) (then (return (i32.const -1))))
        (local.set $b (i32.load8_u (local.get $src)))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (local.set $len (i32.or (local.get $len) (i32.shl (i32.and (local.get $b) (i32.const 0x7f)) (local.get $shift))))
        (br_if $lengthRead (i32.eqz (i32.and (local.get $b) (i32.const 0x80))))
        (local.set $shift (i32.add (local.get $shift) (i32.const 7)))
        (br_if $varint (i32.lt_u (local.get $shift) (i32.const 35)))
        (return (i32.const -1))))
    (if (i32.ne (local.get $len) (local.get $dstLen)) (then (return (i32.const -2))))
    (local.set $op (local.get $dst))
    (local.set $dstEnd (i32.add (local.get $dst) (local.get $dstLen)))
    (block $end
      (loop $element
        (br_if $end (i32.ge_u (local.get $src) (local.get $srcEnd)))
        (block $copy
          ;; Fast path, while at least 21 input bytes (a tag, 4 extra bytes, 16 literal bytes) and
          ;; 64 bytes of output room remain: literals of up to 16 bytes and copies with 1- or 2-byte
          ;; offsets of at least 16, decoded through the tag table (see $init) with selects instead
          ;; of branches, so the element type mixing unpredictably costs no mispredictions.
          (if (i32.and (i32.ge_s (i32.sub (local.get $srcEnd) (local.get $src)) (i32.const 21))
                       (i32.ge_s (i32.sub (local.get $dstEnd) (local.get $op)) (i32.const 64)))
            (then
              (local.set $e (i32.load offset=1024 (i32.shl (i32.load8_u (local.get $src)) (i32.const 2))))
              (local.set $n (i32.and (local.get $e) (i32.const 0xff)))
              (local.set $w (i32.load offset=1 (local.get $src)))
              (local.set $off (i32.or
                (i32.and (local.get $w) (select (i32.const 0xffff) (i32.const 0xff) (i32.and (local.get $e) (i32.const 0x20000))))
                (i32.and (i32.shr_u (local.get $e) (i32.const 16)) (i32.const 0x700))))
              (local.set $lit (i32.and (local.get $e) (i32.const 0x10000)))
              (if (select
                    (i32.le_u (local.get $n) (i32.const 16))
                    (i32.and (i32.ge_u (local.get $off) (i32.const 16)) (i32.le_u (local.get $off) (i32.sub (local.get $op) (local.get $dst))))
                    (local.get $lit))
                (then
                  (local.set $from (select (i32.add (local.get $src) (i32.const 1)) (i32.sub (local.get $op) (local.get $off)) (local.get $lit)))
                  (v128.store (local.get $op) (v128.load (local.get $from)))
                  (if (i32.gt_u (local.get $n) (i32.const 16)) (then
                    (v128.store offset=16 (local.get $op) (v128.load offset=16 (local.get $from)))
                    (if (i32.gt_u (local.get $n) (i32.const 32)) (then
                      (v128.store offset=32 (local.get $op) (v128.load offset=32 (local.get $from)))
                      (v128.store offset=48 (local.get $op) (v128.load offset=48 (local.get $from)))))))
                  (local.set $op (i32.add (local.get $op) (local.get $n)))
                  (local.set $src (i32.add (local.get $src) (i32.and (i32.shr_u (local.get $e) (i32.const 8)) (i32.const 0xff))))
                  (br $element)))))
          ;; General path: every element, with every check.
          (local.set $tag (i32.load8_u (local.get $src)))
          (local.set $src (i32.add (local.get $src) (i32.const 1)))
          (if (i32.eqz (i32.and (local.get $tag) (i32.const 3)))
            (then
              ;; literal: length-1 in the tag's upper 6 bits, or in the next 1-4 bytes (tag 60-63)
              (local.set $n (i32.shr_u (local.get $tag) (i32.const 2)))
              (if (i32.ge_u (local.get $n) (i32.const 60))
                (then
                  (local.set $k (i32.sub (local.get $n) (i32.const 59)))
                  (if (i32.gt_u (local.get $k) (i32.sub (local.get $srcEnd) (local.get $src))) (then (return (i32.const -3))))
                  (local.set $n (i32.and (i32.load (local.get $src))
                    (i32.shr_u (i32.const -1) (i32.shl (i32.sub (i32.const 4) (local.get $k)) (i32.const 3)))))
                  (local.set $src (i32.add (local.get $src) (local.get $k)))))
              (local.set $n (i32.add (local.get $n) (i32.const 1)))
              ;; n is 0 when length-1 was 0xffffffff: still caught, as more than the input holds
              (if (i32.or (i32.eqz (local.get $n)) (i32.gt_u (local.get $n) (i32.sub (local.get $srcEnd) (local.get $src)))) (then (return (i32.const -3))))
              (if (i32.gt_u (local.get $n) (i32.sub (local.get $dstEnd) (local.get $op))) (then (return (i32.const -4))))
              (if (i32.le_u (local.get $n) (i32.const 16))
                (then (v128.store (local.get $op) (v128.load (local.get $src))))
                (else (memory.copy (local.get $op) (local.get $src) (local.get $n))))
              (local.set $op (i32.add (local.get $op) (local.get $n)))
              (local.set $src (i32.add (local.get $src) (local.get $n)))
              (br $element)))
          ;; copies: 1 = length 4-11 and an 11-bit offset, 2 = length 1-64 and a 16-bit offset, 3 = a 32-bit offset
          (local.set $k (i32.and (local.get $tag) (i32.const 3)))
          (if (i32.eq (local.get $k) (i32.const 1))
            (then
              (if (i32.ge_u (local.get $src) (local.get $srcEnd)) (then (return (i32.const -3))))
              (local.set $n (i32.add (i32.and (i32.shr_u (local.get $tag) (i32.const 2)) (i32.const 7)) (i32.const 4)))
              (local.set $off (i32.or (i32.shl (i32.shr_u (local.get $tag) (i32.const 5)) (i32.const 8)) (i32.load8_u (local.get $src))))
              (local.set $src (i32.add (local.get $src) (i32.const 1))))
            (else
              (local.set $n (i32.add (i32.shr_u (local.get $tag) (i32.const 2)) (i32.const 1)))
              (if (i32.eq (local.get $k) (i32.const 2))
                (then
                  (if (i32.lt_u (i32.sub (local.get $srcEnd) (local.get $src)) (i32.const 2)) (then (return (i32.const -3))))
                  (local.set $off (i32.load16_u (local.get $src)))
                  (local.set $src (i32.add (local.get $src) (i32.const 2))))
                (else
                  (if (i32.lt_u (i32.sub (local.get $srcEnd) (local.get $src)) (i32.const 4)) (then (return (i32.const -3))))
                  (local.set $off (i32.load (local.get $src)))
                  (local.set $src (i32.add (local.get $src) (i32.const 4))))))))
        ;; copy n bytes from `off` bytes back
        (if (i32.or (i32.eqz (local.get $off)) (i32.gt_u (local.get $off) (i32.sub (local.get $op) (local.get $dst)))) (then (return (i32.const -5))))
        (if (i32.gt_u (local.get $n) (i32.sub (local.get $dstEnd) (local.get $op))) (then (return (i32.const -4))))
        (local.set $from (i32.sub (local.get $op) (local.get $off)))
        ;; The copy may overlap its own output (offset < length): each wide step only reads bytes
        ;; already written, since a step is never wider than the offset. Steps may write past n.
        (if (i32.ge_u (local.get $off) (i32.const 16))
          (then
            (v128.store (local.get $op) (v128.load (local.get $from)))
            (if (i32.gt_u (local.get $n) (i32.const 16)) (then
              (v128.store offset=16 (local.get $op) (v128.load offset=16 (local.get $from)))
              (if (i32.gt_u (local.get $n) (i32.const 32)) (then
                (v128.store offset=32 (local.get $op) (v128.load offset=32 (local.get $from)))
                (v128.store offset=48 (local.get $op) (v128.load offset=48 (local.get $from))))))))
          (else
            (local.set $k (i32.const 0))
            (if (i32.ge_u (local.get $off) (i32.const 8))
              (then
                (loop $copy8
                  (i64.store (i32.add (local.get $op) (local.get $k)) (i64.load (i32.add (local.get $from) (local.get $k))))
                  (local.set $k (i32.add (local.get $k) (i32.const 8)))
                  (br_if $copy8 (i32.lt_u (local.get $k) (local.get $n)))))
              (else
                (loop $copy1
                  (i32.store8 (i32.add (local.get $op) (local.get $k)) (i32.load8_u (i32.add (local.get $from) (local.get $k))))
                  (local.set $k (i32.add (local.get $k) (i32.const 1)))
                  (br_if $copy1 (i32.lt_u (local.get $k) (local.get $n))))))))
        (local.set $op (i32.add (local.get $op) (local.get $n)))
        (br $element)))
    (if (i32.ne (local.get $op) (local.get $dstEnd)) (then (return (i32.const -6))))
    (i32.const 0))

  ;; Copies src[0..len) to dst as a JSON string body, escaped exactly as JSON.stringify escapes
  ;; a valid UTF-8 string: \" \\ \b \t \n \f \r, other bytes below 0x20 as \u00xx, nothing else.
  ;; Returns the end of the output. Sets $high when a byte >= 0x80 was copied (the caller then
  ;; checks the UTF-8). 16 bytes per step: copy them, then look for a byte to escape.
  (func $escape (export "escape") (param $src i32) (param $len i32) (param $dst i32) (result i32)
    (local $end i32) (local $v v128) (local $m i32) (local $hi i32) (local $rem i32) (local $k i32) (local $b i32)
    (local.set $end (i32.add (local.get $src) (local.get $len)))
    (block $done
      (loop $step
        (local.set $rem (i32.sub (local.get $end) (local.get $src)))
        (br_if $done (i32.le_s (local.get $rem) (i32.const 0)))
        (local.set $v (v128.load (local.get $src)))
        (v128.store (local.get $dst) (local.get $v))
        (local.set $m (i8x16.bitmask (v128.or (v128.or
            (i8x16.lt_u (local.get $v) (v128.const i8x16 32 32 32 32 32 32 32 32 32 32 32 32 32 32 32 32))
            (i8x16.eq (local.get $v) (v128.const i8x16 34 34 34 34 34 34 34 34 34 34 34 34 34 34 34 34)))
            (i8x16.eq (local.get $v) (v128.const i8x16 92 92 92 92 92 92 92 92 92 92 92 92 92 92 92 92)))))
        (local.set $hi (i8x16.bitmask (local.get $v)))
        (if (i32.lt_u (local.get $rem) (i32.const 16)) (then
          ;; the last step: ignore the bytes past the end
          (local.set $k (i32.sub (i32.shl (i32.const 1) (local.get $rem)) (i32.const 1)))
          (local.set $m (i32.and (local.get $m) (local.get $k)))
          (local.set $hi (i32.and (local.get $hi) (local.get $k)))))
        (if (local.get $hi) (then (global.set $high (i32.const 1))))
        (if (i32.eqz (local.get $m)) (then
          (if (i32.ge_u (local.get $rem) (i32.const 16)) (then
            (local.set $src (i32.add (local.get $src) (i32.const 16)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (br $step)))
          (return (i32.add (local.get $dst) (local.get $rem)))))
        ;; keep the bytes before the first one to escape, escape it, go on after it
        (local.set $k (i32.ctz (local.get $m)))
        (local.set $src (i32.add (local.get $src) (local.get $k)))
        (local.set $dst (i32.add (local.get $dst) (local.get $k)))
        (local.set $b (i32.load8_u (local.get $src)))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (if (i32.ge_u (local.get $b) (i32.const 32))
          (then (local.set $k (local.get $b)))
          (else (local.set $k (i32.load8_u (local.get $b)))))
        (if (local.get $k)
          (then
            (i32.store16 (local.get $dst) (i32.or (i32.const 92) (i32.shl (local.get $k) (i32.const 8))))
            (local.set $dst (i32.add (local.get $dst) (i32.const 2))))
          (else
            ;; "\u00" then two hex digits
            (i32.store (local.get $dst) (i32.const 0x3030755c))
            (i32.store8 offset=4 (local.get $dst) (i32.load8_u offset=32 (i32.shr_u (local.get $b) (i32.const 4))))
            (i32.store8 offset=5 (local.get $dst) (i32.load8_u offset=32 (i32.and (local.get $b) (i32.const 15))))
            (local.set $dst (i32.add (local.get $dst) (i32.const 6)))))
        (br $step)))
    (local.get $dst))

  ;; One chat message of the JSONL: pre[0..preLen) (the row or message opening and the role,
  ;; e.g. `,{"role":"user","content":"`), the escaped content, then `"}`. Returns the end.
  (func (export "message") (param $pre i32) (param $preLen i32) (param $src i32) (param $len i32) (param $dst i32) (result i32)
    (if (i32.le_u (local.get $preLen) (i32.const 48))
      (then
        (v128.store (local.get $dst) (v128.load (local.get $pre)))
        (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $pre)))
        (v128.store offset=32 (local.get $dst) (v128.load offset=32 (local.get $pre))))
      (else (memory.copy (local.get $dst) (local.get $pre) (local.get $preLen))))
    (local.set $dst (call $escape (local.get $src) (local.get $len) (i32.add (local.get $dst) (local.get $preLen))))
    (i32.store16 (local.get $dst) (i32.const 0x7d22))
    (i32.add (local.get $dst) (i32.const 2)))
)
