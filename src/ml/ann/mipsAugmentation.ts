// Turns "highest w·v + b" (inner product plus bias, how MF scores) into "nearest in Euclidean distance", so an
// index built by k-means (which knows only distances) can answer it. The standard two-step augmentation:
//   item  x = [v, b, √(R² − |v|² − b²)]   (R = the largest |[v, b]| of the table: every x has length R)
//   query q = [w, 1, 0]
// Then q·x = w·v + b, and |q − x|² = |q|² + R² − 2 q·x: for a fixed query the nearest x is the best-scoring item.
// The lowest-scoring item is the nearest to [−w, −1, 0], which min-max normalisation uses.

/** Augmented rows have the item's dims, its bias and the norm-completing coordinate. */
export function augmentedDim(dim: number): number {
  return dim + 2;
}

/** R²: the squared length every augmented item row gets (the largest |[v, b]|² of the table). */
export function augmentationRadius2(embeddings: Float32Array, bias: Float32Array | null, dim: number): number {
  const n = dim === 0 ? 0 : embeddings.length / dim;
  let r2 = 0;
  for (let i = 0; i < n; i++) r2 = Math.max(r2, squaredNorm(embeddings, bias, dim, i));
  return r2;
}

function squaredNorm(embeddings: Float32Array, bias: Float32Array | null, dim: number, i: number): number {
  let s = bias === null ? 0 : bias[i] * bias[i];
  for (let j = 0, r = i * dim; j < dim; j++) s += embeddings[r + j] * embeddings[r + j];
  return s;
}

/** Writes item i's augmented row into `into` (augmentedDim floats). An item longer than R (added later) gets 0. */
export function augmentItem(embeddings: Float32Array, bias: Float32Array | null, dim: number, radius2: number, i: number, into: Float32Array): void {
  for (let j = 0, r = i * dim; j < dim; j++) into[j] = embeddings[r + j];
  into[dim] = bias === null ? 0 : bias[i];
  into[dim + 1] = Math.sqrt(Math.max(0, radius2 - squaredNorm(embeddings, bias, dim, i)));
}

/** Writes the augmented query for the best items (sign 1) or the worst (sign −1) into `into`. */
export function augmentQuery(query: Float32Array, dim: number, sign: 1 | -1, into: Float32Array): void {
  for (let j = 0; j < dim; j++) into[j] = sign * query[j];
  into[dim] = sign;
  into[dim + 1] = 0;
}
