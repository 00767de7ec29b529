-- The user's script (issue 26): what a platform team writes with psql instead of adopting
-- feedline. bench/script.ts runs these. Typed all the way: the provider's ids are numbers,
-- so the key is (country, id bigint); no source column, no raw record, no run ledger.

-- name: create
drop table if exists tracks;
drop table if exists takedown_audit;
create table tracks (
  country text not null,
  id bigint not null,
  status text not null,
  change_version bigint not null,
  taken_down_at timestamp with time zone,
  updated_at timestamp with time zone not null default now(),
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
  primary key (country, id)
);
create table takedown_audit (
  id bigserial primary key,
  country text not null,
  item_id bigint not null,
  applied_at timestamp with time zone not null default now()
);

-- name: merge
-- `script_staging` is the feed as COPY typed it, `line` numbering the records from 1. The
-- last record of each id wins where the stored version is older; each item the statement
-- took down gets one audit row, from its `returning`.
--   $1 country, $2 version base (bigint as text); version = base + line.
with latest as (
  select distinct on ("trackId") * from script_staging order by "trackId", line desc
),
written as (
  insert into tracks as stored (
    country, id, status, change_version, taken_down_at, updated_at,
    title, version_title, type, isrc, explicit, track_number, disc_number, artist_id, artist_appears_as,
    release_id, duration_seconds, formats, price, rrp, url, popularity, streaming_release_date, licensor_id,
    display_title
  )
  select
    $1, l."trackId",
    case when l.action = 'D' then 'taken_down' else 'live' end,
    $2::bigint + l.line,
    case when l.action = 'D' then now() end,
    now(),
    l.title, l.version, l.type, l.isrc, l."explicitContent", l."trackNumber", l."discNumber", l."artistId",
    l."artistAppearsAs", l."releaseId", l.duration, l.formats, l.price, l.rrp, l.url, l.popularity,
    l."streamingReleaseDate", l."licensorID",
    -- Display titles: "(Explicit)" out of title and version, no empty brackets, an explicit
    -- track says so once at the end (JavaScript's \s, as src/catalogue/display-title.ts).
    t.clean_title
      || case when t.clean_version <> '' then ' (' || t.clean_version || ')' else '' end
      || case when l."explicitContent" then ' (Explicit)' else '' end
  from latest l
  cross join (
    select space, space || '*\(explicit\)' || space || '*' as explicit_mark, '^' || space || '+|' || space || '+$' as outer_space
    from (select '[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]'::text as space) s
  ) w
  cross join lateral (
    select regexp_replace(regexp_replace(coalesce(l.title, ''), w.explicit_mark, ' ', 'gi'), w.outer_space, '', 'g') as clean_title,
      btrim(regexp_replace(regexp_replace(coalesce(l.version, ''), w.explicit_mark, ' ', 'gi'), w.space || '+', ' ', 'g'), ' ') as clean_version
  ) t
  on conflict (country, id) do update set
    status = excluded.status, change_version = excluded.change_version,
    taken_down_at = excluded.taken_down_at, updated_at = excluded.updated_at,
    title = excluded.title, version_title = excluded.version_title, type = excluded.type,
    isrc = excluded.isrc, explicit = excluded.explicit, track_number = excluded.track_number,
    disc_number = excluded.disc_number, artist_id = excluded.artist_id,
    artist_appears_as = excluded.artist_appears_as, release_id = excluded.release_id,
    duration_seconds = excluded.duration_seconds, formats = excluded.formats, price = excluded.price,
    rrp = excluded.rrp, url = excluded.url, popularity = excluded.popularity,
    streaming_release_date = excluded.streaming_release_date, licensor_id = excluded.licensor_id,
    display_title = excluded.display_title
  where stored.change_version < excluded.change_version
  returning stored.id, stored.status
)
insert into takedown_audit (country, item_id)
select $1, id from written where status = 'taken_down';
