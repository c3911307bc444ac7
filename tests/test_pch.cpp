// Anchor of the precompiled header every GoogleTest target reuses
// (tests/CMakeLists.txt); it has no code of its own.
