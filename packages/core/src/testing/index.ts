// Test helpers shared by every project's tests.
export {};
