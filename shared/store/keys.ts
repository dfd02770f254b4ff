/** Sort keys embed numbers zero-padded so that string order is numeric order. */
export const padNumber = (n: number): string => String(n).padStart(10, "0");

export const modelPartition = (name: string): string => `MODEL#${name}`;
