/** The user features StreamRec's request path reads, by the name a feature row carries, as 'view:feature' refs. */
export const USER_FEATURE_REFS: Readonly<Record<string, string>> = {
  n_ratings: 'user_stats:n_ratings',
  mean_rating: 'user_stats:mean_rating',
  days_active: 'user_stats:days_active',
  genre_affinity: 'user_stats:genre_affinity',
  last_10_items: 'user_recent:last_10_items',
  session_length: 'user_recent:session_length',
  session_duration: 'user_recent:session_duration',
};
