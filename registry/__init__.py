"""minereg: the digital-mining compliance registry (the Django app `registry`)."""
