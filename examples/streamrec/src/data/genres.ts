/** The MovieLens genres, in the fixed order every genre vector (user affinity, item multi-hot) uses. */
export const GENRES = [
  'Action', 'Adventure', 'Animation', 'Children', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy', 'Film-Noir',
  'Horror', 'IMAX', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
] as const;

/** Width of the hashed bag-of-tags content vector. */
export const TAG_DIM = 32;

/** The genre column order of the ML-100K `u.item` file (its first flag is "unknown"). */
export const U_ITEM_GENRES = [
  'unknown', 'Action', 'Adventure', 'Animation', 'Children', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy',
  'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
] as const;
