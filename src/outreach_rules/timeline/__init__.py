"""Time in the customer's zone: instants, durations, local rules and the next-allowed algebra."""
