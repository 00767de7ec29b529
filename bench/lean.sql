-- The lean reference (issue 14): what a careful engineer would write with psql to apply a
-- provider track feed, and nothing more. bench/lean.ts runs these. One `-- name:` section
-- per statement group.

-- name: create
-- A typed `tracks` table with the catalogue's key and no other index (a CSV feed needs no
-- other lookup); ids are identifiers, so the key compares bytes (COLLATE "C"). No raw
-- record. One takedown audit row per takedown applied.
drop table if exists tracks;
drop table if exists takedown_audit;
create table tracks (
  source text collate "C" not null,
  country text collate "C" not null,
  id text collate "C" not null,
  status text not null,
  takedown_reason text,
  change_version bigint not null,
  taken_down_at timestamp with time zone,
  updated_at timestamp with time zone not null default now(),
  title text,
  version_title text,
  type text,
  isrc text collate "C",
  explicit boolean,
  track_number integer,
  disc_number integer,
  artist_id text,
  artist_appears_as text,
  release_id text collate "C",
  duration_seconds integer,
  formats text,
  price numeric(12, 4),
  rrp numeric(12, 4),
  url text,
  popularity real,
  streaming_release_date timestamp with time zone,
  licensor_id text,
  display_title text,
  primary key (source, country, id)
);
create table takedown_audit (
  id bigserial primary key,
  source text not null,
  country text not null,
  item_id text not null,
  record bigint not null,
  applied_at timestamp with time zone not null default now()
);

-- name: merge
-- Applies `lean_staging` (text columns as COPY left them, `feed_record` numbering the
-- records from 1) to `tracks`: the last record of each id wins where the stored version is
-- older; a takedown record of an id the merge wrote gets its audit row (the same rows
-- feedline audits when, as in the benchmark, no other run holds a newer version).
--   $1 source, $2 country, $3 version base (bigint as text); version = base + record.
with latest as (
  select distinct on ("trackId") * from lean_staging order by "trackId", feed_record desc
),
typed as (
  select
    l."trackId" as id,
    l.action = 'D' as taken_down,
    $3::bigint + l.feed_record as change_version,
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
    -- Display titles (FEEDS.md compliance rule 3), the rule of src/catalogue/display-title.ts.
    regexp_replace(regexp_replace(l.title, w.explicit_mark, ' ', 'gi'), w.outer_space, '', 'g') as clean_title,
    btrim(regexp_replace(regexp_replace(l.version, w.explicit_mark, ' ', 'gi'), w.space || '+', ' ', 'g'), ' ') as clean_version
  from latest l cross join (
    select space, space || '*\(explicit\)' || space || '*' as explicit_mark, '^' || space || '+|' || space || '+$' as outer_space
    from (select '[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]'::text as space) s
  ) w
),
written as (
  insert into tracks as t (
    source, country, id, status, takedown_reason, change_version, taken_down_at, updated_at,
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
    now(),
    title, version_title, type, isrc, explicit, track_number, disc_number, artist_id, artist_appears_as,
    release_id, duration_seconds, formats, price, rrp, url, popularity, streaming_release_date, licensor_id,
    clean_title
      || case when clean_version <> '' then ' (' || clean_version || ')' else '' end
      || case when explicit then ' (Explicit)' else '' end
  from typed
  on conflict (source, country, id) do update set
    status = excluded.status, takedown_reason = excluded.takedown_reason,
    change_version = excluded.change_version, taken_down_at = excluded.taken_down_at,
    updated_at = excluded.updated_at, title = excluded.title, version_title = excluded.version_title,
    type = excluded.type, isrc = excluded.isrc, explicit = excluded.explicit,
    track_number = excluded.track_number, disc_number = excluded.disc_number,
    artist_id = excluded.artist_id, artist_appears_as = excluded.artist_appears_as,
    release_id = excluded.release_id, duration_seconds = excluded.duration_seconds,
    formats = excluded.formats, price = excluded.price, rrp = excluded.rrp, url = excluded.url,
    popularity = excluded.popularity, streaming_release_date = excluded.streaming_release_date,
    licensor_id = excluded.licensor_id, display_title = excluded.display_title
  where t.change_version < excluded.change_version
  returning id
)
insert into takedown_audit (source, country, item_id, record)
select $1, $2, s."trackId", s.feed_record
from lean_staging s join written w on w.id = s."trackId"
where s.action = 'D';
