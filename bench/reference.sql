-- The hand-written reference the benchmark compares feedline against (bench/reference.ts
-- runs these). One statement group per `-- name:` section.

-- name: create_tracks
-- The `tracks` table of schema/catalogue.ts, column for column, written by hand.
-- Drops any earlier one: point the reference at a benchmark database only.
drop table if exists tracks;
create table tracks (
  source text not null,
  country text not null,
  id text not null,
  status text not null,
  takedown_reason text,
  change_version bigint not null,
  taken_down_at timestamp with time zone,
  updated_at timestamp with time zone not null default now(),
  run_id bigint,
  raw jsonb,
  title text,
  version_title text,
  type text,
  isrc text,
  explicit boolean,
  track_number integer,
  disc_number integer,
  artist_id text,
  artist_appears_as text,
  release_id text,
  duration_seconds integer,
  formats text,
  price numeric(12, 4),
  rrp numeric(12, 4),
  url text,
  popularity real,
  streaming_release_date timestamp with time zone,
  licensor_id text,
  display_title text,
  constraint tracks_source_country_id_pk primary key (source, country, id)
);
create index tracks_release_idx on tracks (source, release_id);
create index tracks_isrc_idx on tracks (isrc);

-- name: merge
-- Applies the feed staged in `reference_staging` (one text column per header field, as
-- COPY left them, plus `feed_record`, the record's number in the file, from 1) to `tracks`.
--   $1 source, $2 country,
--   $3 version base (bigint as text: versions exceed 2^53); a record's version is the base
--      plus its line in the file (see the top of bench/reference.ts).
-- Every id keeps only its last record (order matters within a file: an I then a D of the
-- same id ends taken down), and an existing row only changes if its stored version is
-- older (DESIGN.md invariant 2), so applying the same file twice changes nothing.
with line_breaks as (
  -- A record with line breaks inside quoted fields pushes every later record down that
  -- many physical lines. Such records are rare, so their running totals fit in two
  -- arrays: width_bucket(n, starts) counts the records before record n that hold breaks,
  -- and indexes the running total of breaks up to the last of them.
  select array_agg(feed_record + 1 order by feed_record) as starts,
         array_agg(pushed order by feed_record) as pushed
  from (
    select feed_record, sum(breaks) over (order by feed_record) as pushed
    from (
      select s.feed_record, length(r.text) - length(replace(r.text, E'\n', '')) as breaks
      from reference_staging s cross join lateral (select s::text as text) r
      where strpos(r.text, E'\n') > 0
    ) b
  ) p
),
latest as (
  select s.*
  from reference_staging s
  where not exists (
    select from reference_staging later
    where later."trackId" = s."trackId" and later.feed_record > s.feed_record
  )
),
typed as (
  select
    l."trackId" as id,
    l.action = 'D' as taken_down,
    -- Line 1 is the header, so record n starts on line n + 1 plus the breaks before it.
    $3::bigint + l.feed_record + 1 + coalesce(b.pushed[width_bucket(l.feed_record, b.starts)], 0) as change_version,
    to_jsonb(l) - array['feed_record', 'action'] as raw,
    nullif(l.title, '') as title,
    nullif(l.version, '') as version_title,
    nullif(l.type, '') as type,
    nullif(l.isrc, '') as isrc,
    nullif(l."explicitContent", '')::boolean as explicit,
    nullif(l."trackNumber", '')::integer as track_number,
    nullif(l."discNumber", '')::integer as disc_number,
    nullif(l."artistId", '') as artist_id,
    nullif(l."artistAppearsAs", '') as artist_appears_as,
    nullif(l."releaseId", '') as release_id,
    nullif(l.duration, '')::integer as duration_seconds,
    nullif(l.formats, '') as formats,
    nullif(l.price, '')::numeric(12, 4) as price,
    nullif(l.rrp, '')::numeric(12, 4) as rrp,
    nullif(l.url, '') as url,
    nullif(l.popularity, '')::real as popularity,
    nullif(l."streamingReleaseDate", '')::timestamptz as streaming_release_date,
    nullif(l."licensorID", '') as licensor_id,
    -- FEEDS.md "Display titles" and compliance rule 3, the same rule as
    -- src/catalogue/display-title.ts: "(Explicit)" is taken out of title and version, empty
    -- brackets are never shown, and an explicit track says so once, at the end.
    regexp_replace(regexp_replace(l.title, w.explicit_mark, ' ', 'gi'), w.outer_space, '', 'g') as clean_title,
    btrim(regexp_replace(regexp_replace(l.version, w.explicit_mark, ' ', 'gi'), w.space || '+', ' ', 'g'), ' ') as clean_version
  from latest l cross join line_breaks b cross join (
    -- JavaScript's \s, which display-title.ts trims and collapses: PostgreSQL's \s misses
    -- the no-break space and other Unicode spaces, and real titles end in U+00A0.
    select space, space || '*\(explicit\)' || space || '*' as explicit_mark, '^' || space || '+|' || space || '+$' as outer_space
    from (select '[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]'::text as space) s
  ) w
)
insert into tracks as t (
  source, country, id, status, takedown_reason, change_version, taken_down_at, updated_at, run_id, raw,
  title, version_title, type, isrc, explicit, track_number, disc_number, artist_id, artist_appears_as,
  release_id, duration_seconds, formats, price, rrp, url, popularity, streaming_release_date, licensor_id,
  display_title
)
select
  $1, $2, id,
  case when taken_down then 'taken_down' else 'live' end,
  case when taken_down then 'feed_delete' end,
  change_version,
  case when taken_down then now() end,
  now(), null, raw,
  title, version_title, type, isrc, explicit, track_number, disc_number, artist_id, artist_appears_as,
  release_id, duration_seconds, formats, price, rrp, url, popularity, streaming_release_date, licensor_id,
  clean_title
    || case when clean_version <> '' then ' (' || clean_version || ')' else '' end
    || case when explicit then ' (Explicit)' else '' end
from typed
on conflict (source, country, id) do update set
  status = excluded.status,
  takedown_reason = excluded.takedown_reason,
  change_version = excluded.change_version,
  taken_down_at = excluded.taken_down_at,
  updated_at = excluded.updated_at,
  run_id = excluded.run_id,
  raw = excluded.raw,
  title = excluded.title,
  version_title = excluded.version_title,
  type = excluded.type,
  isrc = excluded.isrc,
  explicit = excluded.explicit,
  track_number = excluded.track_number,
  disc_number = excluded.disc_number,
  artist_id = excluded.artist_id,
  artist_appears_as = excluded.artist_appears_as,
  release_id = excluded.release_id,
  duration_seconds = excluded.duration_seconds,
  formats = excluded.formats,
  price = excluded.price,
  rrp = excluded.rrp,
  url = excluded.url,
  popularity = excluded.popularity,
  streaming_release_date = excluded.streaming_release_date,
  licensor_id = excluded.licensor_id,
  display_title = excluded.display_title
where t.change_version < excluded.change_version;
