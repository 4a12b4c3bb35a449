import type { temporal } from '@temporalio/proto';

/** The activity types of a workflow history's local activities, in the order they ran. */
export function localActivityTypes(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).flatMap((event) => {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') return [];
    const data = marker.details?.data?.payloads?.[0]?.data;
    return data ? [JSON.parse(Buffer.from(data).toString()).activity_type as string] : [];
  });
}
