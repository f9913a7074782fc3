package sample

// Test files are not counted.
const TestOnly = 1
