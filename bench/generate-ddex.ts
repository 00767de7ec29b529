// Generates one large DDEX ERN 3.8.2 NewReleaseMessage, for measuring the parser's memory
// (bench/ddex-memory.ts). Shaped like a label's catalogue delivery: every release is an album
// of `tracks` recordings with verbose per-territory details, one track-level release per
// recording, and a ReleaseDeal for each (streaming and download for the album, a download
// for each track). As in real messages, all recordings come first, then all releases, then
// all deals, so a reader can complete no release before the end. Deterministic, and streamed
// to disk with backpressure: the generator itself holds one release at a time.
//
// CLI: npx tsx bench/generate-ddex.ts OUT [--megabytes 200] [--tracks 12]
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';

const SENDER = 'PADPIDA2026010101X';

interface Shape {
  releases: number;
  tracks: number;
}

const icpn = (release: number) => String(5_000_000_000_000 + release);
const isrc = (release: number, track: number, tracks: number) => `QZNWR${String(release * tracks + track).padStart(7, '0')}`;
const resourceRef = (release: number, track: number) => `A${release}_${track}`;
const releaseRef = (release: number) => `R${release}`;
const trackReleaseRef = (release: number, track: number) => `R${release}_${track}`;

function soundRecording(release: number, track: number, tracks: number): string {
  const title = `Generated Song ${release}-${track}`;
  return `    <SoundRecording>
      <SoundRecordingType>MusicalWorkSoundRecording</SoundRecordingType>
      <SoundRecordingId><ISRC>${isrc(release, track, tracks)}</ISRC></SoundRecordingId>
      <ResourceReference>${resourceRef(release, track)}</ResourceReference>
      <ReferenceTitle><TitleText>${title}</TitleText></ReferenceTitle>
      <Duration>PT${2 + (track % 4)}M${10 + track}S</Duration>
      <SoundRecordingDetailsByTerritory>
        <TerritoryCode>Worldwide</TerritoryCode>
        <Title TitleType="FormalTitle"><TitleText>${title}</TitleText></Title>
        <Title TitleType="DisplayTitle"><TitleText>${title}</TitleText>${track % 5 === 0 ? '<SubTitle>Radio Edit</SubTitle>' : ''}</Title>
        <DisplayArtistName>Generated Artist ${release % 997}</DisplayArtistName>
        <DisplayArtist SequenceNumber="1">
          <PartyName><FullName>Generated Artist ${release % 997}</FullName></PartyName>
          <ArtistRole>MainArtist</ArtistRole>
        </DisplayArtist>
        <LabelName>Northwind Records</LabelName>
        <RightsController>
          <PartyName><FullName>Northwind Records Ltd</FullName></PartyName>
          <RightsControllerRole>RightsController</RightsControllerRole>
          <RightShareUnknown>true</RightShareUnknown>
        </RightsController>
        <ResourceReleaseDate>2026-01-16</ResourceReleaseDate>
        <PLine><Year>2026</Year><PLineText>(P) 2026 Northwind Records Ltd, under exclusive licence</PLineText></PLine>
        <Genre><GenreText>Pop</GenreText><SubGenre>Indie Pop</SubGenre></Genre>
        <ParentalWarningType>${track % 7 === 0 ? 'Explicit' : 'NotExplicit'}</ParentalWarningType>
        <TechnicalSoundRecordingDetails>
          <TechnicalResourceDetailsReference>T${release}_${track}</TechnicalResourceDetailsReference>
          <AudioCodecType>FLAC</AudioCodecType>
          <NumberOfChannels>2</NumberOfChannels>
          <SamplingRate UnitOfMeasure="kHz">44.1</SamplingRate>
          <BitsPerSample>16</BitsPerSample>
          <IsPreview>false</IsPreview>
          <File>
            <FileName>${icpn(release)}_01_${String(track).padStart(3, '0')}.flac</FileName>
            <FilePath>resources/</FilePath>
            <HashSum><HashSum>${'0123456789abcdef'.repeat(2)}</HashSum><HashSumAlgorithmType>MD5</HashSumAlgorithmType></HashSum>
          </File>
        </TechnicalSoundRecordingDetails>
      </SoundRecordingDetailsByTerritory>
    </SoundRecording>
`;
}

function releases(release: number, tracks: number): string {
  const refs = Array.from({ length: tracks }, (_, t) => `        <ReleaseResourceReference ReleaseResourceType="PrimaryResource">${resourceRef(release, t)}</ReleaseResourceReference>\n`).join('');
  const trackReleases = Array.from({ length: tracks }, (_, t) => `    <Release>
      <ReleaseId><ISRC>${isrc(release, t, tracks)}</ISRC></ReleaseId>
      <ReleaseReference>${trackReleaseRef(release, t)}</ReleaseReference>
      <ReferenceTitle><TitleText>Generated Song ${release}-${t}</TitleText></ReferenceTitle>
      <ReleaseResourceReferenceList><ReleaseResourceReference>${resourceRef(release, t)}</ReleaseResourceReference></ReleaseResourceReferenceList>
      <ReleaseType>TrackRelease</ReleaseType>
    </Release>
`).join('');
  return `    <Release IsMainRelease="true">
      <ReleaseId>
        <ICPN>${icpn(release)}</ICPN>
        <ProprietaryId Namespace="${SENDER}">GEN-${release}</ProprietaryId>
      </ReleaseId>
      <ReleaseReference>${releaseRef(release)}</ReleaseReference>
      <ReferenceTitle><TitleText>Generated Album ${release}</TitleText></ReferenceTitle>
      <ReleaseResourceReferenceList>
${refs}      </ReleaseResourceReferenceList>
      <ReleaseType>Album</ReleaseType>
      <ReleaseDetailsByTerritory>
        <TerritoryCode>Worldwide</TerritoryCode>
        <DisplayArtistName>Generated Artist ${release % 997}</DisplayArtistName>
        <LabelName>Northwind Records</LabelName>
        <Title TitleType="DisplayTitle"><TitleText>Generated Album ${release}</TitleText></Title>
        <ParentalWarningType>NotExplicit</ParentalWarningType>
        <Genre><GenreText>Pop</GenreText></Genre>
        <ReleaseDate>2026-01-16</ReleaseDate>
      </ReleaseDetailsByTerritory>
      <PLine><Year>2026</Year><PLineText>(P) 2026 Northwind Records Ltd</PLineText></PLine>
      <CLine><Year>2026</Year><CLineText>(C) 2026 Northwind Records Ltd</CLineText></CLine>
    </Release>
${trackReleases}`;
}

function deals(release: number, tracks: number): string {
  const territories = release % 3 === 0
    ? '<ExcludedTerritoryCode>US</ExcludedTerritoryCode><ExcludedTerritoryCode>CA</ExcludedTerritoryCode>'
    : '<TerritoryCode>Worldwide</TerritoryCode>';
  const download = (ref: string) => `    <ReleaseDeal>
      <DealReleaseReference>${ref}</DealReleaseReference>
      <Deal><DealTerms>
        <CommercialModelType>PayAsYouGoModel</CommercialModelType>
        <Usage><UseType>PermanentDownload</UseType></Usage>
        <TerritoryCode>Worldwide</TerritoryCode>
        <ValidityPeriod><StartDate>2026-01-16</StartDate></ValidityPeriod>
      </DealTerms></Deal>
    </ReleaseDeal>
`;
  return `    <ReleaseDeal>
      <DealReleaseReference>${releaseRef(release)}</DealReleaseReference>
      <Deal><DealTerms>
        <CommercialModelType>SubscriptionModel</CommercialModelType>
        <CommercialModelType>AdvertisementSupportedModel</CommercialModelType>
        <Usage><UseType>OnDemandStream</UseType><UseType>NonInteractiveStream</UseType></Usage>
        ${territories}
        <ValidityPeriod><StartDate>2026-01-16</StartDate>${release % 10 === 0 ? '<EndDate>2030-12-31</EndDate>' : ''}</ValidityPeriod>
      </DealTerms></Deal>
      <Deal><DealTerms>
        <CommercialModelType>PayAsYouGoModel</CommercialModelType>
        <Usage><UseType>PermanentDownload</UseType></Usage>
        <TerritoryCode>Worldwide</TerritoryCode>
        <ValidityPeriod><StartDate>2026-01-16</StartDate></ValidityPeriod>
      </DealTerms></Deal>
    </ReleaseDeal>
${Array.from({ length: tracks }, (_, t) => download(trackReleaseRef(release, t))).join('')}`;
}

function* message({ releases: count, tracks }: Shape): Generator<string> {
  yield `<?xml version="1.0" encoding="UTF-8"?>
<ern:NewReleaseMessage MessageSchemaVersionId="ern/382" xmlns:ern="http://ddex.net/xml/ern/382">
  <MessageHeader>
    <MessageThreadId>GEN-THREAD</MessageThreadId>
    <MessageId>GEN-${count}x${tracks}</MessageId>
    <MessageSender><PartyId>${SENDER}</PartyId><PartyName><FullName>Northwind Records</FullName></PartyName></MessageSender>
    <MessageRecipient><PartyId>PADPIDA2026010102Y</PartyId></MessageRecipient>
    <MessageCreatedDateTime>2026-01-10T09:00:00Z</MessageCreatedDateTime>
  </MessageHeader>
  <UpdateIndicator>OriginalMessage</UpdateIndicator>
  <ResourceList>
`;
  for (let r = 0; r < count; r++) yield Array.from({ length: tracks }, (_, t) => soundRecording(r, t, tracks)).join('');
  yield '  </ResourceList>\n  <ReleaseList>\n';
  for (let r = 0; r < count; r++) yield releases(r, tracks);
  yield '  </ReleaseList>\n  <DealList>\n';
  for (let r = 0; r < count; r++) yield deals(r, tracks);
  yield '  </DealList>\n</ern:NewReleaseMessage>\n';
}

/** How many albums make about `bytes`, from the size of one album's three parts. */
function releasesFor(bytes: number, tracks: number): number {
  const sample = 1_000_000;
  const oneAlbum = Buffer.byteLength(Array.from({ length: tracks }, (_, t) => soundRecording(sample, t, tracks)).join('') + releases(sample, tracks) + deals(sample, tracks));
  return Math.max(1, Math.round(bytes / oneAlbum));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { megabytes: { type: 'string', default: '200' }, tracks: { type: 'string', default: '12' } },
  });
  const out = positionals[0];
  const megabytes = Number(values.megabytes);
  const tracks = Number(values.tracks);
  if (!out || positionals.length !== 1 || !(megabytes > 0) || !Number.isInteger(tracks) || tracks < 1) {
    process.stderr.write('usage: npx tsx bench/generate-ddex.ts OUT [--megabytes 200] [--tracks 12]\n');
    process.exitCode = 2;
    return;
  }
  const shape = { releases: releasesFor(megabytes * 1024 * 1024, tracks), tracks };
  await pipeline(Readable.from(message(shape)), createWriteStream(out));
  const { size } = await stat(out);
  process.stdout.write(`${out}: ${(size / 1024 / 1024).toFixed(1)} MB, ${shape.releases} albums of ${tracks} tracks (${shape.releases * tracks} recordings, ${shape.releases * (tracks + 1)} releases)\n`);
}

await main();
