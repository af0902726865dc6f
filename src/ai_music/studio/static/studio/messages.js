// What to tell a person when a request fails: the server's words, plus what to do next.

import { ApiError } from "./api.js";

export function formatWait(seconds) {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return `${hours} h${rest ? ` ${rest} min` : ""}`;
}

function sentence(text) {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

export function describeError(error) {
  if (!(error instanceof ApiError)) return "Something went wrong in the page. Please reload it.";
  switch (error.status) {
    case 429: {
      const wait = error.retryAfterSeconds;
      const when = wait ? `You can compose again in ${formatWait(wait)}.` : "Please wait a moment.";
      return `${sentence(error.message)} ${when}`;
    }
    case 502:
      return "The music service could not make this piece. Please try again.";
    case 503:
      return "No music service is available right now. Please try again in a few minutes.";
    case 504:
      return "The music service took too long. Please try again, perhaps with a shorter piece.";
    default:
      return error.message;
  }
}
