// Maps what the gateway connector reports to the delivery statuses of the API and audit trail.
import type { DeliveryStatus } from "../../shared/api/messages.ts";
import type { SendResult } from "../gateway/types.ts";
import { iso } from "../db/time.ts";
export { iso };

export function deliveryStatusOf(result: SendResult): DeliveryStatus {
  switch (result.outcome) {
    case "replied":
    case "delivered_no_reply":
    case "timeout":
      return result.outcome;
    case "error":
      switch (result.error?.code) {
        case "GATEWAY_UNREACHABLE":
          return "unreachable";
        case "AUTH_FAILED":
          return "auth_failed";
        case "PAIRING_REQUIRED":
          return "pairing_required";
        default:
          return "error";
      }
    default:
      return "error";
  }
}

export const isoOrNull = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : iso(ms));
