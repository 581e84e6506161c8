// Rows of a flat [rows × width] table gathered into one array, in JS: the leaf tensors of a training step are built
// from the rows a batch touches, never from the whole table.

/** [ids.length × width] rows of `table`; ids outside the table (padding) give zero rows. */
export function gatherRows(table: Float32Array, width: number, ids: ArrayLike<number>): Float32Array {
  const rows = table.length / width;
  const out = new Float32Array(ids.length * width);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id >= 0 && id < rows) out.set(table.subarray(id * width, id * width + width), i * width);
  }
  return out;
}
